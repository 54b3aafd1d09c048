// Package pgcluster runs a PostgreSQL cluster of a process's own: for tests
// and runs that stop and restart Postgres, which must never do that to the
// shared server of scripts/services.sh (other tests and runs use it).
//
// A cluster lives in a folder of the caller's on a free loopback port, with
// fsync off (it holds test data only). When the process runs as root, the
// binaries run as the postgres user (initdb and postgres refuse root), as
// scripts/services.sh does. A cold start takes about a second.
//
// It imports no package of ours.
package pgcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is one private PostgreSQL cluster.
type Cluster struct {
	// Port is its loopback port.
	Port int
	// Dir holds the cluster (data/, with server.log in it).
	Dir string
	// AdminURL connects to its "postgres" database as its superuser.
	AdminURL string
	bin      string
	asUser   bool // run the binaries as the postgres user
}

// Init creates a cluster in dir (which must exist and hold no data/ yet) on
// a free port; Start starts it.
func Init(dir string) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Port: port, Dir: dir, bin: bin, asUser: os.Geteuid() == 0}
	data := c.data()
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if c.asUser {
		// Every parent must be open to the postgres user.
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgcluster: running as root needs the postgres user (install the postgresql package): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(data, uid, gid); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
	}
	if out, err := c.command("initdb", "-D", data, "-U", "backchannel", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgcluster: initdb: %w\n%s", err, out)
	}
	c.AdminURL = fmt.Sprintf("postgres://backchannel@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// Log is the server's log file.
func (c *Cluster) Log() string { return filepath.Join(c.data(), "server.log") }

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
		c.Port, c.data())
	cmd := c.command("pg_ctl", "-D", c.data(), "-l", c.Log(), "-w", "-s", "-o", opts, "start")
	// In a session of its own: a Ctrl-C of the caller never reaches it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.Log())
		return fmt.Errorf("pgcluster: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c.command("pg_isready", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-q").Run() == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pgcluster: Postgres on port %d did not become ready", c.Port)
}

// Stop shuts the cluster down and waits until it has: mode "fast" cuts
// open connections and refuses new ones; "immediate" is a crash (no
// checkpoint: the next start recovers from the WAL). A stopped cluster is
// left alone.
func (c *Cluster) Stop(mode string) error {
	if _, err := os.Stat(filepath.Join(c.data(), "postmaster.pid")); err != nil {
		return nil // not running
	}
	if out, err := c.command("pg_ctl", "-D", c.data(), "-m", mode, "-w", "-s", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Crash restarts the cluster as after a crash: stopped immediately, then
// started again (recovering from the WAL).
func (c *Cluster) Crash() error {
	if err := c.Stop("immediate"); err != nil {
		return err
	}
	return c.Start()
}

// Remove stops the cluster and deletes its folder.
func (c *Cluster) Remove() error {
	err := c.Stop("immediate")
	if rerr := os.RemoveAll(c.Dir); err == nil {
		err = rerr
	}
	return err
}

// command prepares one of the cluster's binaries, as the postgres user when root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// binDir finds PostgreSQL's binaries the way scripts/services.sh does.
func binDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) < versionOf(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("pgcluster: PostgreSQL's initdb not found (install PostgreSQL ≥ 14; scripts/services.sh does)")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
