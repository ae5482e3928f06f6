package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/centuria/centuria/libs/platform/postgres"
)

// ErrPostgresMissing is returned when no PostgreSQL server answers at the
// admin URL and the launcher cannot start one; the error text says how to
// get one.
var ErrPostgresMissing = errors.New("PostgreSQL is not reachable")

// System describes what the launcher may do on this machine to get
// PostgreSQL running.
type System struct {
	// Debian is true on Debian and Ubuntu (apt-get and pg_ctlcluster).
	Debian bool
	// Root is true when running as root, so packages can be installed.
	Root bool
	// Run runs an installation step; nil disables installing.
	Run func(cmd *exec.Cmd) error
}

// HostSystem describes the machine the launcher runs on; install steps
// print their output to out.
func HostSystem(out io.Writer) System {
	_, err := os.Stat("/etc/debian_version")
	return System{
		Debian: err == nil,
		Root:   os.Geteuid() == 0,
		Run: func(cmd *exec.Cmd) error {
			cmd.Stdout, cmd.Stderr = out, out
			fmt.Fprintf(out, "devstack: running %s\n", strings.Join(cmd.Args, " "))
			return cmd.Run()
		},
	}
}

// PostgresHelp says how to get PostgreSQL running at addr.
func PostgresHelp(addr string, sys System) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %s; the services need it for their databases. Start one:\n", ErrPostgresMissing, addr)
	sudo := "sudo "
	if sys.Root {
		sudo = ""
	}
	fmt.Fprintf(&b, "  Debian/Ubuntu: %sapt-get install -y postgresql && %spg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n", sudo, sudo)
	b.WriteString("                 (devstack does this itself when run as root on Debian/Ubuntu)\n")
	b.WriteString("  macOS:         brew install postgresql@17 && brew services start postgresql@17\n")
	b.WriteString("  Docker:        docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:17\n")
	b.WriteString("or use another server: --postgres-admin-url URL (or $" + EnvPostgresAdminURL + "), a superuser or CREATEROLE+CREATEDB login.")
	return b.String()
}

// ensurePostgres returns nil when PostgreSQL answers at adminURL's host.
// Otherwise, on a Debian machine as root with a loopback address, it
// installs the postgresql package if needed and starts the cluster; in all
// other cases it returns ErrPostgresMissing with PostgresHelp.
func ensurePostgres(ctx context.Context, adminURL string, sys System, log io.Writer) error {
	addr, err := hostOf(adminURL, "5432")
	if err != nil {
		return fmt.Errorf("PostgreSQL admin URL: %w", err)
	}
	if Reachable(ctx, addr) {
		return nil
	}
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !sys.Debian || !sys.Root || sys.Run == nil || !loopback {
		return errors.New(PostgresHelp(addr, sys))
	}
	fmt.Fprintf(log, "devstack: PostgreSQL is not running at %s: installing and starting it\n", addr)
	installed := false
	if _, err := exec.LookPath("pg_ctlcluster"); err != nil {
		if err := sys.Run(exec.CommandContext(ctx, "apt-get", "update", "-qq")); err != nil {
			return fmt.Errorf("apt-get update: %w\n%s", err, PostgresHelp(addr, sys))
		}
		inst := exec.CommandContext(ctx, "apt-get", "install", "-y", "-qq", "postgresql")
		inst.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if err := sys.Run(inst); err != nil {
			return fmt.Errorf("apt-get install postgresql: %w\n%s", err, PostgresHelp(addr, sys))
		}
		installed = true
	}
	ver, err := clusterVersion("/etc/postgresql")
	if err != nil {
		return fmt.Errorf("%w\n%s", err, PostgresHelp(addr, sys))
	}
	if installed {
		// A fresh Debian cluster asks for passwords on TCP; the local
		// development server trusts loopback connections, as in CI.
		if err := trustLoopback(filepath.Join("/etc/postgresql", ver, "main", "pg_hba.conf")); err != nil {
			return err
		}
	}
	if err := sys.Run(exec.CommandContext(ctx, "pg_ctlcluster", "--skip-systemctl-redirect", ver, "main", "start")); err != nil {
		return fmt.Errorf("starting PostgreSQL %s: %w\n%s", ver, err, PostgresHelp(addr, sys))
	}
	deadline := time.Now().Add(30 * time.Second)
	for !Reachable(ctx, addr) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("PostgreSQL %s started but %s does not answer\n%s", ver, addr, PostgresHelp(addr, sys))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return nil
}

// clusterVersion returns the newest cluster version directory under dir.
func clusterVersion(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("finding the PostgreSQL cluster: %w", err)
	}
	var vs []string
	for _, e := range ents {
		if e.IsDir() {
			vs = append(vs, e.Name())
		}
	}
	if len(vs) == 0 {
		return "", fmt.Errorf("finding the PostgreSQL cluster: %s is empty", dir)
	}
	num := func(v string) float64 {
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	sort.Slice(vs, func(i, j int) bool { return num(vs[i]) < num(vs[j]) })
	return vs[len(vs)-1], nil
}

func trustLoopback(hba string) error {
	old, err := os.ReadFile(hba)
	if err != nil {
		return fmt.Errorf("reading %s: %w", hba, err)
	}
	lines := "# Added by devstack: trust loopback connections (local development only).\n" +
		"host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
	if err := os.WriteFile(hba, append([]byte(lines), old...), 0o640); err != nil {
		return fmt.Errorf("writing %s: %w", hba, err)
	}
	return nil
}

// provision creates, idempotently, each service's database and login role
// (named prefix+service) and returns the services' URLs.
func provision(ctx context.Context, adminURL, prefix string, services []string) (map[string]string, error) {
	urls := map[string]string{}
	for _, s := range services {
		u, err := postgres.Provision(ctx, adminURL, prefix+s)
		if err != nil {
			return nil, err
		}
		urls[s] = u
	}
	return urls, nil
}

// DropDatabases removes the databases and login roles that Start
// provisioned with prefix (disconnecting their sessions). It is for
// throw-away platforms such as tests; the errors are joined.
func DropDatabases(ctx context.Context, adminURL, prefix string) error {
	c, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("dropping databases: %w", err)
	}
	defer c.Close(ctx)
	var errs []error
	for _, s := range Services {
		name, err := postgres.Identifier(prefix + s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		id := pgx.Identifier{name}.Sanitize()
		for _, q := range []string{"DROP DATABASE IF EXISTS " + id + " WITH (FORCE)", "DROP ROLE IF EXISTS " + id} {
			if _, err := c.Exec(ctx, q); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", q, err))
			}
		}
	}
	return errors.Join(errs...)
}
