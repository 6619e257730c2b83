package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envconf"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/indicatorset"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/tracking"
)

// maxSetSize bounds a set read from a file or the coordinator: a set lists
// a digest per event, some 80 bytes each.
const maxSetSize = 1 << 30

// ErrSetDiffers is returned when the member's records disagree with a
// published indicator set.
var ErrSetDiffers = errors.New("the published indicator set differs from this member's records")

// indicatorsVerify checks a published indicator set against this member's
// own records: the set's signature with the coordinator's key in the
// directory, then the member's share (the digest of every tracking event
// it reported in the set's range, and its counts by milestone) rebuilt from
// its exchange tables (DATABASE_URL).
func indicatorsVerify(ctx context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	member := fs.String("member", "", "this member's code (CI)")
	dirPath := fs.String("directory", "", "the signed corridor directory in force")
	file := fs.String("set", "", "the signed set (the `signed` bytes, binary), or")
	setURL := fs.String("url", "", "the set's URL at the coordinator (…/api/v1/indicators/sets/{id}); the bearer token is read from CORRIDOR_TOKEN")
	if err := parse(fs, args, "member", "directory"); err != nil {
		return err
	}
	if (*file == "") == (*setURL == "") {
		return errors.New("give exactly one of -set and -url")
	}
	me := corridor.MemberCode(*member)
	dir, _, err := inForce(*dirPath)
	if err != nil {
		return err
	}
	if _, err := dir.Member(me); err != nil || me == corridor.Coordinator {
		return fmt.Errorf("member %s is not a country of corridor %s", me, dir.Corridor)
	}
	var data []byte
	if *file != "" {
		data, err = readLimited(*file)
	} else {
		data, err = fetchSet(ctx, *setURL, t.getenv("CORRIDOR_TOKEN"))
	}
	if err != nil {
		return err
	}
	set, err := indicatorset.Open(dir, data)
	if err != nil {
		return err
	}
	from, err1 := time.Parse(time.DateOnly, set.GetFrom())
	to, err2 := time.Parse(time.DateOnly, set.GetTo())
	if err := errors.Join(err1, err2); err != nil || !from.Before(to) {
		return fmt.Errorf("indicator set %s: bad range %q to %q", set.GetSetId(), set.GetFrom(), set.GetTo())
	}
	dsn := t.getenv(envconf.DatabaseURL)
	if dsn == "" {
		return fmt.Errorf("%s is not set: the member's database to check against", envconf.DatabaseURL)
	}
	pool, err := pgdb.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := exchange.ReportedBetween(ctx, pool, from, to)
	if err != nil {
		return err
	}
	own, err := indicatorset.Share(me, tracking.Reported(me, dir.Corridor, rep))
	if err != nil {
		return err
	}
	published := indicatorset.ShareOf(set, me)
	if diff := indicatorset.Compare(published, own); diff != "" {
		fmt.Fprintf(t.stdout, "differs: set %s (%s, %s to %s), member %s: %s\n", set.GetSetId(), set.GetPeriod(), set.GetFrom(), set.GetTo(), me, diff)
		return ErrSetDiffers
	}
	fmt.Fprintf(t.stdout, "agrees: set %s (%s, %s to %s), member %s: %d events\n", set.GetSetId(), set.GetPeriod(), set.GetFrom(), set.GetTo(), me, len(own.GetEvents()))
	return nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read indicator set: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSetSize+1))
	if err != nil {
		return nil, fmt.Errorf("read indicator set: %w", err)
	}
	if len(data) > maxSetSize {
		return nil, fmt.Errorf("read indicator set: %s is over %d bytes", path, maxSetSize)
	}
	return data, nil
}

// fetchSet reads a set from the coordinator's API.
func fetchSet(ctx context.Context, url, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch indicator set: %w", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch indicator set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch indicator set: %s answered %s", url, resp.Status)
	}
	var view struct {
		Signed []byte `json:"signed"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 2*maxSetSize)).Decode(&view); err != nil {
		return nil, fmt.Errorf("fetch indicator set: %w", err)
	}
	return view.Signed, nil
}
