package wsgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// lib is one planned library.
type lib struct {
	idx       int
	typ       string
	scope     string
	name      string // short name, e.g. "ledger-sync"
	pkg       string // Go package name
	level     int
	deps      []int // imported by the main file (all platforms)
	linuxDep  int   // imported by the linux-only file, -1 if none
	winDeps   []int // imported by windows-only files
	testDeps  []int // imported only by the internal test file
	xtest     bool
	xtestDeps []int // extra imports of the external test package
	embed     bool
	testdata  bool
	ext       []string // external package import paths
}

// app is one planned application.
type app struct {
	name       string
	deps       []int // libraries imported by main.go
	configDep  int   // library imported by internal/config
	handlerDep int   // library imported by internal/handler, -1 if none
	testDep    int   // library imported only by main_test.go, -1 if none
}

// extMod is one planned external module.
type extMod struct {
	path, dir, name string
	pkgs            []string // import paths of its packages
}

// plan is the whole generated graph before any file is written.
type plan struct {
	spec   Spec
	libs   []*lib
	byType map[string][]int
	core   []int
	apps   []*app
	ext    []*extMod
}

var (
	nouns = []string{
		"account", "address", "alert", "audit", "basket", "batch", "billing", "brand", "budget", "cache",
		"calendar", "card", "cart", "catalog", "channel", "charge", "checkout", "claim", "client", "coupon",
		"credit", "currency", "customer", "dashboard", "delivery", "device", "discount", "document", "draft", "email",
		"event", "export", "feed", "file", "filter", "forecast", "geo", "grant", "import", "inventory",
		"invoice", "journal", "label", "ledger", "limit", "listing", "locale", "login", "loyalty", "market",
		"media", "member", "message", "meter", "notice", "offer", "order", "parcel", "partner", "payment",
		"payout", "plan", "policy", "price", "profile", "promo", "quote", "rating", "receipt", "refund",
		"region", "report", "return", "review", "route", "schedule", "session", "settle", "shipment", "sku",
		"slot", "stock", "store", "subscription", "supplier", "survey", "tax", "team", "ticket", "token",
		"tracking", "transfer", "trial", "user", "vendor", "voucher", "wallet", "warehouse", "webhook", "zone",
	}
	qualifiers = []string{
		"sync", "core", "view", "list", "form", "store", "query", "index", "model", "rules",
		"state", "flow", "panel", "table", "client", "parser", "codec", "stats", "hooks", "mapper",
	}
	appSuffixes = []string{"api", "worker", "admin", "portal", "cron", "gateway", "bot", "sync"}
	typeAbbrev  = map[string]string{TypeFeature: "feat", TypeUI: "ui", TypeDataAccess: "da", TypeUtil: "util"}
	typeShare   = map[string]int{TypeFeature: 35, TypeUI: 20, TypeDataAccess: 25, TypeUtil: 20} // percent
)

// newPlan builds the deterministic graph for a validated spec.
func newPlan(spec Spec) *plan {
	r := rand.New(rand.NewPCG(spec.Seed, 0x63656e74))
	p := &plan{spec: spec, byType: make(map[string][]int)}
	p.planLibs(r)
	p.ensureTraits()
	p.planExternal(r)
	p.planApps(r)
	return p
}

// typeCounts splits n libraries over the four types, at least one each.
func typeCounts(n int) map[string]int {
	counts := make(map[string]int)
	total := 0
	for _, t := range LibTypes[1:] {
		c := max(1, n*typeShare[t]/100)
		counts[t] = c
		total += c
	}
	counts[TypeFeature] = n - total
	return counts
}

func (p *plan) planLibs(r *rand.Rand) {
	counts := typeCounts(p.spec.Libs)
	used := make(map[string]bool)
	// Generate from the root of the graph upwards so every import points
	// at a library planned earlier: the graph is a DAG by construction.
	order := []string{TypeUtil, TypeDataAccess, TypeUI, TypeFeature}
	for _, t := range order {
		n := counts[t]
		levels := min(4, n)
		for i := 0; i < n; i++ {
			l := &lib{idx: len(p.libs), typ: t, level: i * levels / n, linuxDep: -1}
			if t == TypeUtil && i < coreCount(n) {
				l.scope = "shared"
			} else {
				l.scope = p.spec.Scopes[r.IntN(len(p.spec.Scopes))]
			}
			l.name = uniqueName(r, used, t)
			l.pkg = typeAbbrev[t] + strings.ReplaceAll(l.name, "-", "")
			p.libs = append(p.libs, l)
			p.byType[t] = append(p.byType[t], l.idx)
			if t == TypeUtil && i < coreCount(n) {
				p.core = append(p.core, l.idx)
			}
			p.planLibDeps(r, l)
		}
	}
}

// coreCount is the number of root util libraries that most others import.
func coreCount(utils int) int { return max(1, min(6, utils/8)) }

func uniqueName(r *rand.Rand, used map[string]bool, t string) string {
	base := nouns[r.IntN(len(nouns))]
	if r.IntN(3) > 0 {
		base += "-" + qualifiers[r.IntN(len(qualifiers))]
	}
	name := base
	for i := 2; used[t+"/"+name]; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	used[t+"/"+name] = true
	return name
}

// candidates returns the libraries l may import: same type at a lower
// level, or an allowed type of a lower rank.
func (p *plan) candidates(l *lib) []int {
	var out []int
	for _, c := range p.libs[:l.idx] {
		if c.typ == l.typ && c.level < l.level || c.typ != l.typ && Allowed(l.typ, c.typ) {
			out = append(out, c.idx)
		}
	}
	return out
}

func (p *plan) planLibDeps(r *rand.Rand, l *lib) {
	cands := p.candidates(l)
	if len(cands) == 0 {
		return
	}
	var deps []int
	// One import from the level right below keeps the graph deep.
	if l.level > 0 {
		var below []int
		for _, c := range cands {
			if p.libs[c].typ == l.typ && p.libs[c].level == l.level-1 {
				below = append(below, c)
			}
		}
		if len(below) > 0 {
			deps = append(deps, pickScoped(r, p.libs, below, l.scope))
		}
	}
	for n := r.IntN(3); n > 0; n-- {
		deps = append(deps, pickScoped(r, p.libs, cands, l.scope))
	}
	// Fan-in: most libraries import a root util.
	if !slices.Contains(p.core, l.idx) && r.IntN(10) < 6 {
		deps = append(deps, p.core[r.IntN(len(p.core))])
	}
	l.deps = dedupe(deps, l.idx)
	rest := without(cands, l.deps)
	if len(rest) == 0 {
		return
	}
	if r.IntN(100) < 35 {
		l.testDeps = []int{rest[r.IntN(len(rest))]}
	}
	if r.IntN(100) < 25 {
		l.xtest = true
		if r.IntN(2) == 0 {
			l.xtestDeps = []int{rest[r.IntN(len(rest))]}
		}
	}
	if r.IntN(100) < 12 {
		l.linuxDep = rest[r.IntN(len(rest))]
		l.winDeps = dedupe([]int{rest[r.IntN(len(rest))], rest[r.IntN(len(rest))]}, l.idx)
	}
	l.embed = r.IntN(100) < 15
	l.testdata = r.IntN(100) < 12
}

// pickScoped picks from cands, preferring the given scope.
func pickScoped(r *rand.Rand, libs []*lib, cands []int, scope string) int {
	for try := 0; try < 3; try++ {
		c := cands[r.IntN(len(cands))]
		if libs[c].scope == scope {
			return c
		}
	}
	return cands[r.IntN(len(cands))]
}

func (p *plan) planExternal(r *rand.Rand) {
	defs := []struct{ name, sub string }{{"slugify", ""}, {"ringbuf", ""}, {"units", "si"}}
	for _, d := range defs {
		e := &extMod{path: "example.com/ext/" + d.name, dir: relPath("third_party", d.name), name: d.name}
		e.pkgs = []string{e.path}
		if d.sub != "" {
			e.pkgs = append(e.pkgs, e.path+"/"+d.sub)
		}
		p.ext = append(p.ext, e)
	}
	// A few non-core libraries import each module; the first module gets
	// the fewest importers.
	var pool []int
	for _, l := range p.libs {
		if !slices.Contains(p.core, l.idx) {
			pool = append(pool, l.idx)
		}
	}
	for i, e := range p.ext {
		n := min(len(pool), 1+i+r.IntN(2))
		for j := 0; j < n; j++ {
			l := p.libs[pool[r.IntN(len(pool))]]
			pkg := e.pkgs[r.IntN(len(e.pkgs))]
			if !slices.Contains(l.ext, pkg) {
				l.ext = append(l.ext, pkg)
			}
		}
	}
}

func (p *plan) planApps(r *rand.Rand) {
	used := make(map[string]bool)
	all := make([]int, len(p.libs))
	for i := range all {
		all[i] = i
	}
	feats := p.byType[TypeFeature]
	for i := 0; i < p.spec.Apps; i++ {
		base := nouns[r.IntN(len(nouns))] + "-" + appSuffixes[r.IntN(len(appSuffixes))]
		name := base
		for j := 2; used[name]; j++ {
			name = fmt.Sprintf("%s%d", base, j)
		}
		used[name] = true
		a := &app{name: name, handlerDep: -1, testDep: -1}
		var deps []int
		for n := 2 + r.IntN(4); n > 0; n-- {
			if r.IntN(10) < 7 {
				deps = append(deps, feats[r.IntN(len(feats))])
			} else {
				deps = append(deps, all[r.IntN(len(all))])
			}
		}
		a.deps = dedupe(deps, -1)
		utils := p.byType[TypeUtil]
		a.configDep = utils[r.IntN(len(utils))]
		if r.IntN(2) == 0 {
			a.handlerDep = all[r.IntN(len(all))]
		}
		if r.IntN(4) == 0 {
			a.testDep = all[r.IntN(len(all))]
		}
		p.apps = append(p.apps, a)
	}
}

// dedupe sorts ints and drops repeats and self.
func dedupe(xs []int, self int) []int {
	slices.Sort(xs)
	xs = slices.Compact(xs)
	return slices.DeleteFunc(xs, func(x int) bool { return x == self })
}

// without returns xs minus the members of drop.
func without(xs, drop []int) []int {
	var out []int
	for _, x := range xs {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// projectName is the project name of a library.
func (l *lib) projectName() string { return l.scope + "-" + l.typ + "-" + l.name }

// dir is the library directory relative to the workspace.
func (l *lib) dir() string { return relPath("libs", l.scope, l.typ+"-"+l.name) }

// ensureTraits gives the last library every trait no library drew, so even
// a tiny workspace holds every hard case.
func (p *plan) ensureTraits() {
	has := func(f func(*lib) bool) bool { return slices.ContainsFunc(p.libs, f) }
	last := p.libs[len(p.libs)-1]
	rest := without(p.candidates(last), last.deps)
	if len(rest) >= 3 {
		if !has(func(l *lib) bool { return len(l.testDeps) > 0 }) {
			last.testDeps = []int{rest[0]}
		}
		if !has(func(l *lib) bool { return l.linuxDep >= 0 }) {
			last.linuxDep = rest[1]
			last.winDeps = []int{rest[2], rest[0]}
		}
	}
	if !has(func(l *lib) bool { return l.xtest }) {
		last.xtest = true
	}
	if !has(func(l *lib) bool { return l.embed }) {
		last.embed = true
	}
	if !has(func(l *lib) bool { return l.testdata }) {
		last.testdata = true
	}
}
