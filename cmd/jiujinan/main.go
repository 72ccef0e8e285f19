// Command jiujinan is the one binary of Jiujinan (救急难): it serves the
// marketplace, migrates the database, bootstraps administrators, rotates
// keys and verifies the audit chain. Run "jiujinan help" for the commands.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/oklog/ulid/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/aidxlsx"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/matching"
	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/notify"
	nstore "github.com/jiujinan/jiujinan/notify/gormstore"
	"github.com/jiujinan/jiujinan/recovery"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/stats"
	sstore "github.com/jiujinan/jiujinan/stats/gormstore"
	"github.com/jiujinan/jiujinan/stats/statxlsx"
	"github.com/jiujinan/jiujinan/web"
)

func main() {
	// Everything the service writes (database, index, keys) is for its own
	// user only: it holds encrypted identities and keys.
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, environMap())
	stop()
	os.Exit(code)
}

const usage = `jiujinan: a charity matching marketplace for emergency and hardship relief (救急难)

Usage:
  jiujinan serve [--demo] [flags]     serve the web site and the API (applies migrations first)
  jiujinan migrate [up|status]        apply pending migrations, or list them
  jiujinan admin create --email E     create an administrator; password from
                                      $JIUJINAN_ADMIN_PASSWORD or standard input
  jiujinan demo                       load the demo dataset into the database
  jiujinan keys init|list|rotate-token|rotate-data
                                      create (new installation), show or rotate the
                                      keys in secrets.json
  jiujinan audit-verify               check every hash chain of the audit log
  jiujinan reindex                    re-project, then rebuild the search index from the database
  jiujinan reproject                  recompute how coarsely each published need is shown (k-anonymity)
  jiujinan fund-jobs                  run the funds' background work once: expire unpaid
                                      pledges, create due monthly pledges and remind their
                                      donors, open and default
                                      donors' choices for needs that ended (serve does it
                                      every minute)
  jiujinan import-payments FILE       import a statutory payment file (CSV, UTF-8 or GBK)
  jiujinan export-charity-aid --region CODE --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|xlsx] --out FILE
                                      write the charity aid of a region and a period for civil
                                      affairs (the verifiers' download; mode 0600, audited as cli)
  jiujinan gen-payments --rows N --seed S [--bad-share 0.01] [--encoding utf8|gbk] [--format csv|xlsx] > FILE
                                      write a realistic test payment file
  jiujinan version

Run "jiujinan serve --help" for the configuration.
`

// exitError carries an exit code with a one-line message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// run is main without the process: it returns the exit code, so that tests
// drive every command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ map[string]string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr, environ)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout, stderr, environ)
	case "admin":
		err = cmdAdmin(ctx, rest, stdin, stdout, stderr, environ)
	case "demo":
		err = cmdDemo(ctx, rest, stdout, stderr, environ)
	case "keys":
		err = cmdKeys(ctx, rest, stdout, stderr, environ)
	case "audit-verify":
		err = cmdAuditVerify(ctx, rest, stdout, stderr, environ)
	case "reindex":
		err = cmdReindex(ctx, rest, stdout, stderr, environ)
	case "reproject":
		err = cmdReproject(ctx, rest, stdout, stderr, environ)
	case "fund-jobs":
		err = cmdFundJobs(ctx, rest, stdout, stderr, environ)
	case "import-payments":
		err = cmdImportPayments(ctx, rest, stdout, stderr, environ)
	case "export-charity-aid":
		err = cmdExportCharityAid(ctx, rest, stdout, stderr, environ)
	case "gen-payments":
		err = cmdGenPayments(rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "jiujinan", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "jiujinan: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "jiujinan:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "jiujinan:", oneLine(err.Error()))
	return 1
}

var version = "dev"

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newFlagSet(name string, stderr io.Writer, extraUsage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: jiujinan %s [flags]\n%s\nFlags:\n", name, extraUsage)
		fs.PrintDefaults()
		printEnvHelp(stderr)
	}
	return fs
}

// Main is the assembled service: configuration, keys, database and the
// services over them. Open builds it; Close releases it.
type Main struct {
	Config    Config
	Secrets   *Secrets
	DB        *sqldb.DB
	Log       *slog.Logger
	Now       func() time.Time
	Accounts  *marketplace.AccountService
	Needs     *marketplace.NeedService
	People    *marketplace.PeopleService
	Store     *gormstore.Store
	Divisions *kernel.Divisions
	// Calendar counts working days: China's holiday table with the
	// operator's days (JIUJINAN_HOLIDAYS_FILE) over it.
	Calendar *kernel.Calendar
	// Index and Indexer are the search index and the worker that keeps it
	// in step with the database (OpenSearch; serve only).
	Index         search.Index
	Indexer       *search.Indexer
	releaseSearch func()
	Funds         *funds.Service
	// Screening screens needs and money against the statutory record and
	// other charities' needs; it is the Screener of needs and funds.
	Screening *screening.Service
	// Matching ranks matches and plans allocations.
	Matching *matching.Service
	// Imports runs the imports of uploaded payment files (Server builds
	// it; serve starts it).
	Imports *record.ImportJobs
	// PayChannels takes WeChat Pay and Alipay and sends refunds (paychan.go).
	PayChannels *paychan.Service
	// Steps is the time-limit job: reminders and escalations (serve runs
	// it every stepInterval).
	Steps *marketplace.StepService
	// NotifyStore is the notification outbox; NotifySenders the channels
	// configured besides the inbox; Dispatcher sends (serve only).
	NotifyStore   *nstore.Store
	NotifySenders map[notify.Channel]notify.Sender
	Dispatcher    *notify.Dispatcher

	stderr io.Writer
	// demoFault, when set (tests), can fail a step of the demo load.
	demoFault func(need int, step string) error
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newID returns a random public identifier: a ULID whose 80 random bits come
// from crypto/rand, so that ids cannot be guessed from one another.
func newID() string {
	return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String())
}

// Open prepares the data folder and keys and connects to the database. With
// migrate it also applies pending migrations; without, it refuses to go on
// while any is pending.
// The key file is never created by Open: a missing one stops the command.
func Open(ctx context.Context, cfg Config, stderr io.Writer, migrate bool) (*Main, error) {
	return openMain(ctx, cfg, stderr, migrate, false)
}

// missingSecrets is the way out of a missing key file.
func missingSecrets(err error) error {
	return fmt.Errorf("%w: restore it from the backup, or, for a new installation, run \"jiujinan keys init\" "+
		"(serve creates it too, on an empty database)", err)
}

// openMain is Open; with createKeys (serve) it creates the key file when it
// is missing and the database holds nothing made with keys.
func openMain(ctx context.Context, cfg Config, stderr io.Writer, migrate, createKeys bool) (*Main, error) {
	m := &Main{Config: cfg, Now: func() time.Time { return time.Now().UTC() }, stderr: stderr}
	m.Log = newLogger(cfg, stderr)
	if err := cfg.prepareDataDir(); err != nil {
		return nil, err
	}
	sec, err := loadSecrets(cfg.SecretsFile)
	noKeys := errors.Is(err, errNoSecrets)
	if noKeys && !createKeys {
		return nil, missingSecrets(err)
	}
	if err != nil && !noKeys {
		return nil, err
	}
	m.Secrets = sec
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("JIUJINAN_DATABASE_URL: %v", err)
	}
	m.DB = db
	if migrate {
		n, err := migrations.Up(ctx, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		if n > 0 {
			m.Log.Info("applied migrations", slog.Int("count", n), slog.String("database", db.Target))
		}
	} else if pending, err := migrations.Pending(ctx, db); err != nil || pending {
		db.Close()
		if err != nil {
			return nil, err
		}
		return nil, errors.New("the database has pending migrations: run jiujinan migrate up")
	}
	if noKeys {
		if m.Secrets, err = m.createKeysForEmptyDB(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	m.Divisions, err = kernel.LoadDivisions()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("division table: %w", err)
	}
	var days []kernel.CalendarDay
	if cfg.HolidaysFile != "" {
		if days, err = kernel.LoadCalendarDays(cfg.HolidaysFile); err != nil {
			db.Close()
			return nil, fmt.Errorf("JIUJINAN_HOLIDAYS_FILE: %w", err)
		}
	}
	m.Calendar = kernel.NewCalendar(days)
	m.Store = gormstore.New(db)
	m.Accounts = marketplace.NewAccountService(m.Store, m.Now, newID)
	m.Accounts.RegionKnown = m.Divisions.Known
	m.Accounts.Throttle = marketplace.NewLoginThrottle(cfg.LoginMaxFailures, cfg.LoginMaxDelay)
	if err := m.openScreening(); err != nil {
		db.Close()
		return nil, err
	}
	if m.Needs, err = m.needService(); err != nil {
		db.Close()
		return nil, err
	}
	if err := m.openFunds(); err != nil {
		db.Close()
		return nil, fmt.Errorf("funds: %w", err)
	}
	m.openPayChannels()
	if m.People, err = m.peopleService(); err != nil {
		db.Close()
		return nil, err
	}
	// Needs are screened when submitted and cleared, money before it is
	// allocated and before it is disbursed.
	m.Needs.Screener = m.Screening
	m.Needs.Donors = fstore.New(m.DB)
	m.Needs.Offices = m.Store
	m.Steps = m.stepService()
	m.Funds.Screener = m.Screening
	m.openMatching()
	if err := m.openNotify(); err != nil {
		db.Close()
		return nil, err
	}
	return m, nil
}

// createKeysForEmptyDB creates the missing key file when the database
// holds nothing made with keys; otherwise it stops: new keys would read
// none of the data and match none of its pseudonyms.
func (m *Main) createKeysForEmptyDB(ctx context.Context) (*Secrets, error) {
	holds, err := holdsData(ctx, m.DB)
	if err != nil {
		return nil, err
	}
	if holds {
		return nil, fmt.Errorf("secrets file %s does not exist, and the database %s holds data made with its keys: "+
			"restore the file from the backup (new keys could read none of it)", m.Config.SecretsFile, m.DB.Target)
	}
	sec, err := createSecrets(m.Config.SecretsFile, m.Now())
	if err != nil {
		return nil, err
	}
	m.Log.Info("created a new key file for an empty database; back it up apart from the database", slog.String("path", m.Config.SecretsFile))
	return sec, nil
}

// needService builds the need lifecycle from the configuration and keys.
// Open sets its screener (Main.Screening) once every service is built.
func (m *Main) needService() (*marketplace.NeedService, error) {
	keys := make([]marketplace.DataKey, len(m.Secrets.DataKeys))
	for i, k := range m.Secrets.DataKeys {
		keys[i] = marketplace.DataKey{ID: k.ID, Key: k.Key}
	}
	c, err := marketplace.NewCipher(keys)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	ps, err := marketplace.NewPseudonymizer(m.Secrets.PseudonymKey)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return marketplace.NewNeedService(wakingNeedStore{m.Store, m.wakeIndexer}, c, ps, m.Divisions, m.Now, newID, marketplace.NeedConfig{
		NoticePeriod: m.Config.NoticePeriod, K: m.Config.KAnonymity, EmergencyMaxFen: m.Config.EmergencyLimitFen,
		ClearanceWorkingDays: m.Config.ClearanceDays, Calendar: m.Calendar,
		TwoStep: m.Config.ApprovalSteps == "two", TownReviewWorkingDays: m.Config.TownReviewDays, CaseWorkingDays: m.Config.CaseDays,
		ObjectionResolveWorkingDays: m.Config.ObjectionDays, GroupDecisionAboveFen: m.Config.GroupDecisionAboveFen,
	}), nil
}

// Close releases the search index and the database.
func (m *Main) Close() error {
	err := m.closeSearch()
	if m.DB != nil {
		if derr := m.DB.Close(); err == nil {
			err = derr
		}
	}
	return err
}

// CharityAid builds the export of charity aid back to civil affairs, for
// the API, the verifier's page and export-charity-aid alike. The .xlsx
// writer streams, in constant memory and without a temporary file.
func (m *Main) CharityAid() *funds.CharityAidExport {
	return &funds.CharityAidExport{Store: fstore.New(m.DB), Needs: m.Needs, Audit: m.Store, Divisions: m.Divisions,
		Now: m.Now, XLSX: aidxlsx.New()}
}

// Server builds the HTTP server over the services.
func (m *Main) Server() (*web.Server, error) {
	tokens, err := web.NewTokens(m.Secrets.signingKeys(), m.Config.TokenIssuer, m.Config.TokenIssuer, m.Config.TokenTTL, m.Now)
	if err != nil {
		return nil, err
	}
	payments, err := m.PaymentImporter()
	if err != nil {
		return nil, err
	}
	payments.Notify = m.afterwards()
	m.Imports = &record.ImportJobs{Importer: payments, Keys: m.Needs.Cipher, Dir: m.Config.UploadDir, Log: m.Log}
	return web.NewServer(web.Config{
		MaxBodyBytes: m.Config.MaxBodyBytes, MaxUploadBytes: m.Config.MaxUploadBytes, RequestTimeout: m.Config.RequestTimeout,
		CookieSecure: m.Config.CookieSecure, AuthRate: m.Config.AuthRate, AuthBurst: int(m.Config.AuthRate*10) + 10,
		MetricsToken: m.Config.MetricsToken, PublicURL: m.Config.PublicURL,
	}, web.Deps{
		Accounts:    m.Accounts,
		Needs:       m.Needs,
		Tokens:      tokens,
		Log:         m.Log,
		Browse:      m.browse(),
		Divisions:   m.Divisions,
		Funds:       m.Funds,
		Payments:    payments,
		Imports:     m.Imports,
		People:      m.People,
		Screening:   m.Screening,
		Matching:    m.Matching,
		CharityAid:  m.CharityAid(),
		Workbooks:   xlsxsheet.Open,
		Notify:      m.notifyService(),
		PayChannels: m.PayChannels,
		Stats:       &stats.Service{Store: sstore.New(m.DB), Divisions: m.Divisions, Now: m.Now, XLSX: statxlsx.New()},
		Ready: func(ctx context.Context) error {
			if err := m.DB.Ping(ctx); err != nil {
				return errors.New("database unreachable")
			}
			pending, err := migrations.Pending(ctx, m.DB)
			if err != nil {
				return errors.New("cannot read migration state")
			}
			if pending {
				return errors.New("migrations pending")
			}
			if err := m.keysOpenData(ctx); err != nil {
				m.Log.Error("not ready: the keys do not open the data", slog.String("error", err.Error()))
				return errors.New("the keys cannot open the data")
			}
			return nil
		},
	}), nil
}

// serveGCPercent is the garbage collection target serve runs with (Go's
// default is 100): a collection after the heap grew by 400 % of what was
// live instead of 100 %. Screening, search and the pages allocate per
// request, and at 100 the collector's pauses and assists were what pushed
// one screening call in fifty over 2 ms (docs/benchmarks/screening.md);
// the price is a larger heap between collections.
const serveGCPercent = 400

// tuneGC applies serveGCPercent unless the environment sets GOGC, which
// the Go runtime has then applied already (as it applies GOMEMLIMIT).
func tuneGC(environ map[string]string) {
	if _, set := environ["GOGC"]; !set {
		debug.SetGCPercent(serveGCPercent)
	}
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("serve", stderr, "Serve the web site and the JSON API. Applies pending migrations first.")
	demo := fs.Bool("demo", false, "load the demo dataset (organizations, one user per role) and print its logins")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	tuneGC(environ)
	m, err := openMain(ctx, cfg, stderr, true, true)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.keysOpenData(ctx); err != nil {
		m.Log.Error("the keys do not open the data: /readyz fails until the right secrets file is in place", slog.String("error", err.Error()))
	} else {
		// Keys that open no identity would record no household: the
		// backfill waits for a restart with the right ones.
		recovery.Go(m.Log, "household backfill", func() {
			if err := m.backfillHouseholds(ctx); err != nil && ctx.Err() == nil {
				m.Log.Warn("household backfill", slog.String("error", err.Error()))
			}
		})
	}
	if *demo {
		if err := m.LoadDemo(ctx, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	rebuild, err := m.OpenSearch(ctx)
	if err != nil {
		return err
	}
	ictx, stopIndexer := context.WithCancel(ctx)
	indexerDone := make(chan struct{})
	go func() {
		defer close(indexerDone)
		_ = recovery.Run(m.Log, "search indexer", func() error { m.runIndexer(ictx, rebuild); return nil })
	}()
	// Runs before m.Close: the index is closed only once the worker is done.
	defer func() { stopIndexer(); <-indexerDone }()
	srv, err := m.Server()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("JIUJINAN_ADDR: cannot listen on %s: %v", cfg.Addr, err)
	}
	// Imports of uploaded files run under their own context, cancelled
	// (their batches left resumable) before the database closes.
	m.Imports.Start(ctx)
	defer m.Imports.Stop()
	recovery.Go(m.Log, "payment import resumer", func() { m.Imports.RunResumer(ctx, time.Minute) })
	recovery.Go(m.Log, "fund jobs", func() { m.runFundJobs(ctx) })
	recovery.Go(m.Log, "payment jobs", func() { m.runPaymentJobs(ctx) })
	// Notifications go out from their own worker, never inside a request;
	// stopped before the database closes.
	stopDispatcher, err := m.startDispatcher(ctx)
	if err != nil {
		return err
	}
	defer stopDispatcher()
	recovery.Go(m.Log, "re-projection", func() { m.runReprojection(ctx) })
	recovery.Go(m.Log, "time limits", func() { m.runStepJobs(ctx) })
	m.Log.Info("serving", slog.String("addr", "http://"+ln.Addr().String()), slog.String("database", m.DB.Target))
	fmt.Fprintf(stdout, "Jiujinan is serving on http://%s\n", displayAddr(ln.Addr()))
	if err := srv.Serve(ctx, ln, 15*time.Second); err != nil {
		return err
	}
	m.Log.Info("stopped")
	return nil
}

func displayAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if ok && (ta.IP == nil || ta.IP.IsUnspecified()) {
		return fmt.Sprintf("localhost:%d", ta.Port)
	}
	return a.String()
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("migrate", stderr, "  migrate up       apply pending migrations\n  migrate status   list migrations and whether each is applied")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	sub := "up"
	if fs.NArg() > 0 {
		sub = fs.Arg(0)
	}
	if sub != "up" && sub != "status" {
		return &exitError{2, fmt.Sprintf("migrate: unknown subcommand %q (want up or status)", sub)}
	}
	if err := cfg.prepareDataDir(); err != nil {
		return err
	}
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("JIUJINAN_DATABASE_URL: %v", err)
	}
	defer db.Close()
	if sub == "up" {
		n, err := migrations.Up(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s) to %s\n", n, db.Target)
		return nil
	}
	list, err := migrations.List(ctx, db)
	if err != nil {
		return err
	}
	pending := 0
	for _, s := range list {
		state := "applied " + s.AppliedAt
		if !s.Applied {
			state = "pending"
			pending++
		}
		fmt.Fprintf(stdout, "%05d  %-40s %s\n", s.Version, s.Name, state)
	}
	fmt.Fprintf(stdout, "%d migration(s), %d pending, database %s\n", len(list), pending, db.Target)
	return nil
}

func cmdAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ map[string]string) error {
	if len(args) == 0 || args[0] != "create" {
		return &exitError{2, "admin: want \"admin create --email E\""}
	}
	fs := newFlagSet("admin create", stderr, "Create an administrator. The password is read from $JIUJINAN_ADMIN_PASSWORD or, when unset, the first line of standard input.")
	email := fs.String("email", "", "the administrator's e-mail (required)")
	name := fs.String("name", "Administrator", "display name")
	cfg, err := loadConfig(fs, args[1:], environ)
	if err != nil {
		return err
	}
	if *email == "" {
		return &exitError{2, "admin create: --email is required"}
	}
	pw, ok := environ["JIUJINAN_ADMIN_PASSWORD"]
	if !ok {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("admin create: read password: %v", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	m, err := Open(ctx, cfg, stderr, true)
	if err != nil {
		return err
	}
	defer m.Close()
	u, err := m.Accounts.CreateAdmin(ctx, *email, pw, *name)
	if err != nil {
		var v *kernel.ValidationError
		if errors.As(err, &v) {
			return errors.New("admin create: " + v.Error())
		}
		if errors.Is(err, kernel.ErrConflict) {
			return fmt.Errorf("admin create: an account with e-mail %s exists", marketplace.NormalizeEmail(*email))
		}
		return err
	}
	fmt.Fprintf(stdout, "created administrator %s (id %s)\n", u.Email, u.PublicID)
	return nil
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("demo", stderr, "Load the demo dataset into the configured database (once; a load that stopped part-way is resumed, a complete one is left as it is).")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	m, err := Open(ctx, cfg, stderr, true)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.LoadDemo(ctx, stdout)
}

func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	fs := newFlagSet("keys", stderr, "  keys init           create the key file of a new installation (never over an existing one,\n                      nor for a database that holds data)\n  keys list           key ids and dates (never the keys)\n  keys rotate-token   new token signing key; old tokens verify until they expire\n  keys rotate-data    new encryption key for new data; old data stays readable\nRestart every instance after a rotation.")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	if err := cfg.prepareDataDir(); err != nil {
		return err
	}
	now := time.Now().UTC()
	if sub == "init" {
		return keysInit(ctx, cfg, now, stdout)
	}
	sec, err := loadSecrets(cfg.SecretsFile)
	if errors.Is(err, errNoSecrets) {
		return missingSecrets(err)
	}
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		for _, group := range []struct {
			name string
			keys []secretKey
		}{{"token", sec.TokenKeys}, {"data", sec.DataKeys}} {
			for _, k := range group.keys {
				state := "active"
				if k.RetiredAt != nil {
					state = "retired " + k.RetiredAt.Format(time.RFC3339)
				}
				fmt.Fprintf(stdout, "%-6s %-22s created %s  %s\n", group.name, k.ID, k.CreatedAt.Format(time.RFC3339), state)
			}
		}
		return nil
	case "rotate-token":
		id := sec.rotateTokenKey(now)
		if err := saveSecrets(cfg.SecretsFile, sec); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new token key %s; restart the service to use it\n", id)
		return nil
	case "rotate-data":
		id := sec.rotateDataKey(now)
		if err := saveSecrets(cfg.SecretsFile, sec); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new data key %s; restart the service to use it\n", id)
		return nil
	}
	return &exitError{2, "keys: want init, list, rotate-token or rotate-data"}
}

// keysInit creates the key file of a new installation: never over an
// existing file, nor for a database that holds data made with other keys.
func keysInit(ctx context.Context, cfg Config, now time.Time, stdout io.Writer) error {
	if _, err := os.Stat(cfg.SecretsFile); err == nil {
		return fmt.Errorf("keys init: secrets file %s exists already: it is kept", cfg.SecretsFile)
	}
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("JIUJINAN_DATABASE_URL: %v", err)
	}
	defer db.Close()
	holds, err := holdsData(ctx, db)
	if err != nil {
		return err
	}
	if holds {
		return fmt.Errorf("keys init: the database %s holds data made with other keys: restore secrets file %s from the backup "+
			"(new keys could read none of it)", db.Target, cfg.SecretsFile)
	}
	if _, err := createSecrets(cfg.SecretsFile, now); err != nil {
		return fmt.Errorf("keys init: %w", err)
	}
	fmt.Fprintf(stdout, "created %s with new keys; back it up apart from the database\n", cfg.SecretsFile)
	return nil
}

func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("audit-verify", stderr, "Check every hash chain of the audit log: no entry altered, removed or inserted.")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	m, err := Open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer m.Close()
	problems, streams, entries, err := m.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, "BROKEN", p)
	}
	if len(problems) > 0 {
		return &exitError{1, fmt.Sprintf("audit-verify: %d problem(s) in %d chain(s)", len(problems), streams)}
	}
	fmt.Fprintf(stdout, "audit log intact: %d chain(s), %d entries\n", streams, entries)
	ok, err := m.verifyLedger(ctx, stdout)
	if err != nil {
		return err
	}
	if !ok {
		return &exitError{1, "audit-verify: the ledger does not balance"}
	}
	return nil
}

func cmdFundJobs(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("fund-jobs", stderr, "Run the funds' background work once (serve runs it every minute).")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	m, err := Open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.fundJobs(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "fund jobs done")
	return nil
}

// VerifyAudit checks every audit chain.
func (m *Main) VerifyAudit(ctx context.Context) (problems []marketplace.AuditProblem, streams, entries int, err error) {
	heads, err := m.Store.AuditStreams(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, h := range heads {
		es, err := m.Store.AuditEntries(ctx, h.Stream)
		if err != nil {
			return nil, 0, 0, err
		}
		entries += len(es)
		problems = append(problems, marketplace.VerifyChain(h.Stream, es, h.Seq, h.Hash)...)
	}
	return problems, len(heads), entries, nil
}

// browse is the public browsing service, or nil when no index is open (the
// needs listing then answers 503).
func (m *Main) browse() *search.Browse {
	if m.Index == nil {
		return nil
	}
	return &search.Browse{Index: m.Index, Needs: m.Store, Now: m.Now}
}
