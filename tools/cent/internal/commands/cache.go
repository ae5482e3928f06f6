package commands

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/cent/pkg/cache"
)

func init() { register(newCacheCmd) }

func newCacheCmd(g *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect and prune the local task cache",
		Long: `cent keeps task results in a content-addressed local cache (by default in the
user cache directory, under centuria) and, with --remote-cache, in a shared
remote cache. "cent cache stats" describes the local cache; "cent cache prune"
evicts entries by age and size.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCacheStatsCmd(), newCachePruneCmd())
	return cmd
}

func newCacheStatsCmd() *cobra.Command {
	o := &cacheOptions{}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the size of the local cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.openLocal(cmd)
			if err != nil {
				return err
			}
			st, err := c.Stats(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), statsJSON(st))
			}
			printStats(cmd.OutOrStdout(), st)
			return nil
		},
	}
	addCacheFlags(cmd, o)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newCachePruneCmd() *cobra.Command {
	o := &cacheOptions{}
	var (
		maxSize, maxAge string
		dryRun, asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Evict old and least recently used entries from the local cache",
		Long: `Evict entries from the local cache: first those not used for longer than
--max-age, then the least recently used until the cache is no larger than
--max-size. Other cent processes may keep using the cache meanwhile; evicted
entries are simply misses for them.`,
		Example: "  cent cache prune --max-size 10GB --max-age 168h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var po cache.PruneOptions
			var err error
			if maxSize == "" && maxAge == "" {
				return fmt.Errorf("give --max-size, --max-age or both")
			}
			if maxSize != "" {
				if po.MaxSize, err = parseSize(maxSize); err != nil {
					return fmt.Errorf("--max-size: %w", err)
				}
			}
			if maxAge != "" {
				if po.MaxAge, err = parseAge(maxAge); err != nil {
					return fmt.Errorf("--max-age: %w", err)
				}
			}
			po.DryRun = dryRun
			c, err := o.openLocal(cmd)
			if err != nil {
				return err
			}
			res, err := c.Prune(cmd.Context(), po)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{
					"dry_run":         dryRun,
					"removed_entries": res.RemovedEntries,
					"removed_blobs":   res.RemovedBlobs,
					"removed_bytes":   res.RemovedBytes,
					"after":           statsJSON(res.After),
				})
			}
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %d entries and %d blobs (%s); %s left in %d entries and %d blobs\n",
				verb, res.RemovedEntries, res.RemovedBlobs, formatSize(res.RemovedBytes),
				formatSize(res.After.Bytes()), res.After.Entries, res.After.Blobs)
			return nil
		},
	}
	addCacheFlags(cmd, o)
	cmd.Flags().StringVar(&maxSize, "max-size", "", "keep the cache at most this `size` (e.g. 10GB, 512MiB)")
	cmd.Flags().StringVar(&maxAge, "max-age", "", "evict entries unused for this `duration` (e.g. 168h, 7d)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only report what would be evicted")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// openLocal opens only the local cache: these commands never touch the
// remote.
func (o *cacheOptions) openLocal(cmd *cobra.Command) (*cache.Cache, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	r.opts.Remote = nil
	c, err := cache.Open(cmd.Context(), r.opts)
	if err != nil {
		return nil, fmt.Errorf("--cache-dir: %w", err)
	}
	return c, nil
}

func statsJSON(st cache.Stats) map[string]any {
	m := map[string]any{
		"dir":         st.Dir,
		"entries":     st.Entries,
		"entry_bytes": st.EntryBytes,
		"blobs":       st.Blobs,
		"blob_bytes":  st.BlobBytes,
		"bytes":       st.Bytes(),
	}
	if !st.Oldest.IsZero() {
		m["oldest_use"] = st.Oldest.UTC().Format(time.RFC3339)
		m["newest_use"] = st.Newest.UTC().Format(time.RFC3339)
	}
	return m
}

func printStats(w io.Writer, st cache.Stats) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "directory\t%s\n", st.Dir)
	fmt.Fprintf(tw, "entries\t%d\t%s\n", st.Entries, formatSize(st.EntryBytes))
	fmt.Fprintf(tw, "blobs\t%d\t%s\n", st.Blobs, formatSize(st.BlobBytes))
	fmt.Fprintf(tw, "total\t\t%s\n", formatSize(st.Bytes()))
	if !st.Oldest.IsZero() {
		fmt.Fprintf(tw, "used\t%s .. %s\n", st.Oldest.UTC().Format(time.RFC3339), st.Newest.UTC().Format(time.RFC3339))
	}
	tw.Flush()
}

// sizeUnits maps size suffixes to bytes: decimal (KB, MB, ...) and binary
// (KiB, MiB, ... and the bare K, M, G, T).
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize parses sizes such as 10GB, 512MiB, 1.5G or 1048576.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	mult, ok := sizeUnits[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || v*mult > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q: want a positive number", s)
	}
	return int64(v * mult), nil
}

// parseAge parses a Go duration, or a whole number of days such as 7d.
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 100000 {
			return 0, fmt.Errorf("age %q: want a positive whole number of days or a duration such as 168h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("age %q: want a positive duration such as 168h or 7d", s)
	}
	return d, nil
}

// formatSize prints a byte count with a binary unit.
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
