package api

import (
	"net/http"
	"strings"

	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// agencyView is an agency of the corridor directory as GET /api/v1/agencies
// lists it: who it belongs to, what it offers and where.
type agencyView struct {
	ID         string `json:"id"`
	Member     string `json:"member"`
	MemberName string `json:"member_name"`
	Name       string `json:"name"`
	// Services are the service types the agency offers.
	Services []string `json:"services"`
	// Areas are the ISO 3166-2 subdivisions it covers (the directory's
	// places).
	Areas []string `json:"areas"`
}

// agencies answers GET /api/v1/agencies?member=BF&service=shelter: the
// agencies of the corridor's countries in the directory in force, which the
// referral form offers as recipients. The coordinator's agencies receive no
// referrals and are not listed.
func (s *server) agencies(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.CheckFiler(c); err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	member, service := corridor.MemberCode(q.Get("member")), q.Get("service")
	var problems []corridor.FieldError
	if q.Has("member") && (!member.Valid() || member == corridor.Coordinator) {
		problems = append(problems, corridor.FieldError{Field: "member", Message: "must be a country's ISO 3166-1 alpha-2 code"})
	}
	if q.Has("service") && !codes.IsServiceType(service) {
		problems = append(problems, corridor.FieldError{Field: "service",
			Message: "must be one of the service types: " + strings.Join(codes.ServiceTypeCodes(), ", ")})
	}
	if len(problems) > 0 {
		s.fail(w, r, corridor.Invalid("The query has invalid parameters.", problems...))
		return
	}
	d, err := s.dir.Current(r.Context())
	if err != nil {
		s.fail(w, r, &corridor.Error{Kind: corridor.KindUnavailable,
			Message: "The corridor directory is not available; agencies cannot be listed until a current one is published.", Err: err})
		return
	}
	items := []agencyView{}
	for _, m := range workflow.Recipients(d, member, service) {
		for _, a := range m.Agencies {
			items = append(items, agencyView{
				ID: a.ID, Member: string(m.Code), MemberName: m.Name, Name: a.Name,
				Services: nonNil(a.Services), Areas: nonNil(a.Places),
			})
		}
	}
	s.write(w, r, http.StatusOK, map[string]any{"items": items})
}

// nonNil makes an absent list an empty JSON array rather than null.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
