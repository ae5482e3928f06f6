package vuln

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The subset of govulncheck's JSON protocol (v1) that a scan reads. Unknown
// fields are ignored: the protocol is allowed to grow.
type (
	message struct {
		Config  *streamConfig `json:"config,omitempty"`
		OSV     *osvEntry     `json:"osv,omitempty"`
		Finding *finding      `json:"finding,omitempty"`
	}
	streamConfig struct {
		ProtocolVersion string     `json:"protocol_version"`
		DB              string     `json:"db"`
		DBLastModified  *time.Time `json:"db_last_modified"`
		GoVersion       string     `json:"go_version"`
		ScanLevel       string     `json:"scan_level"`
	}
	finding struct {
		OSV          string   `json:"osv"`
		FixedVersion string   `json:"fixed_version"`
		Trace        []*frame `json:"trace"`
	}
	frame struct {
		Module   string    `json:"module"`
		Version  string    `json:"version"`
		Package  string    `json:"package"`
		Function string    `json:"function"`
		Receiver string    `json:"receiver"`
		Position *position `json:"position"`
	}
	position struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
	}
)

// osvEntry is the part of an OSV entry a report shows.
type osvEntry struct {
	ID       string   `json:"id"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Aliases  []string `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
	DatabaseSpecific struct {
		URL string `json:"url"`
	} `json:"database_specific"`
}

// affects reports whether the entry lists module.
func (e *osvEntry) affects(module string) bool {
	for _, a := range e.Affected {
		if a.Package.Name == module {
			return true
		}
	}
	return false
}

// stream is a decoded govulncheck JSON stream.
type stream struct {
	config   streamConfig
	osvs     map[string]*osvEntry
	findings []*finding
}

// decodeStream reads govulncheck -json output: a sequence of JSON messages.
func decodeStream(r io.Reader) (*stream, error) {
	s := &stream{osvs: map[string]*osvEntry{}}
	dec := json.NewDecoder(r)
	sawConfig := false
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			if !strings.HasPrefix(m.Config.ProtocolVersion, "v1.") {
				return nil, fmt.Errorf("reading govulncheck output: protocol version %q, want v1.x", m.Config.ProtocolVersion)
			}
			s.config, sawConfig = *m.Config, true
		case m.OSV != nil:
			s.osvs[m.OSV.ID] = m.OSV
		case m.Finding != nil:
			s.findings = append(s.findings, m.Finding)
		}
	}
	if !sawConfig {
		return nil, errors.New("reading govulncheck output: no config message")
	}
	return s, nil
}

// called returns the findings with a function-level trace: the vulnerable
// symbol is reachable from the scanned code. Module-level (the module is
// required) and package-level (the package is imported) findings are left
// out.
func (s *stream) called() []*finding {
	var out []*finding
	for _, f := range s.findings {
		if len(f.Trace) > 0 && f.Trace[0].Function != "" {
			out = append(out, f)
		}
	}
	return out
}
