package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/natsconf"
)

// natsRender renders every NATS server's configuration from a signed
// directory: what the hub and each member run is what the directory says,
// so adding a member is one co-signed change and a re-render.
func natsRender(_ context.Context, t *tool, fs *flag.FlagSet, args []string) error {
	in := fs.String("directory", "", "the signed directory (the version in force; check it first with directory verify)")
	out := fs.String("out", "", "where to write the configurations (the layout of deploy/nats)")
	if err := parse(fs, args, "directory", "out"); err != nil {
		return err
	}
	s, err := directory.LoadSigned(*in)
	if err != nil {
		return err
	}
	// Its own governance's signatures, not the clock: rendering the
	// configuration of an expired version is how an operator inspects it.
	v, err := directory.VerifySelf(s)
	if err != nil {
		return fmt.Errorf("directory %s: %w", *in, err)
	}
	files, err := natsconf.Render(natsconf.TopologyOf(v.Directory))
	if err != nil {
		return err
	}
	if err := natsconf.WriteRendered(*out, files); err != nil {
		return err
	}
	d := v.Directory
	fmt.Fprintf(t.stdout, "rendered the NATS configuration of corridor %s version %d into %s:\n", d.Corridor, d.Version, *out)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(t.stdout, "  %s\n", name)
	}
	fmt.Fprintln(t.stdout, "the hub's leaf nkeys, from the directory:")
	for _, m := range d.Members {
		if m.NATS == nil {
			fmt.Fprintf(t.stdout, "  %s names no NATS identity: its leaf link cannot be admitted\n", m.Code)
			continue
		}
		fmt.Fprintf(t.stdout, "  %s=%s\n", natsconf.EnvHubLeafNkey(m.JetStreamDomain), m.NATS.LeafNkey)
	}
	return nil
}
