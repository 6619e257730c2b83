package cases

// The age bands the coordinator sees instead of an age. 5-11, 12-14 and
// 15-17 are the ILO's statistical bands for child labour (they follow the
// light-work and minimum ages of C138); 0-4 and 18+ catch the rest, since a
// referral may concern a young sibling or a person found to be an adult.
const (
	AgeBand0to4    = "0-4"
	AgeBand5to11   = "5-11"
	AgeBand12to14  = "12-14"
	AgeBand15to17  = "15-17"
	AgeBand18Plus  = "18+"
	AgeBandUnknown = "unknown"
)

// AgeBands returns the bands in ascending order, unknown last.
func AgeBands() []string {
	return []string{AgeBand0to4, AgeBand5to11, AgeBand12to14, AgeBand15to17, AgeBand18Plus, AgeBandUnknown}
}

// AgeBand returns the band of an age in completed years. A negative age
// means the age is not known.
func AgeBand(age int) string {
	switch {
	case age < 0:
		return AgeBandUnknown
	case age <= 4:
		return AgeBand0to4
	case age <= 11:
		return AgeBand5to11
	case age <= 14:
		return AgeBand12to14
	case age <= 17:
		return AgeBand15to17
	}
	return AgeBand18Plus
}
