/*
 * homewardd: the agency daemon.  Reads its configuration, opens its keys
 * and store, listens and dials its peers, serves the control socket, and
 * runs everything on one libuv loop until SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/report.h"
#include "daemon/base/lang.h"
#include "daemon/base/log.h"
#include "daemon/base/service.h"
#include "daemon/case/case.h"
#include "daemon/core/core.h"
#include "daemon/ctl/ctl.h"
#include "daemon/store/audit.h"
#include "daemon/store/store_backup.h"
#include "daemon/store/store_resync.h"
#include "keys/passphrase.h"
#include "keys/secret.h"

/* What shared code (keys/agencydir.c, keys/passphrase.c) reports goes to
 * the daemon's log once there is one (common/report.h). */
static void
report_to_log(enum report_level level, const char *msg)
{
	if (level == REPORT_PROBLEM)
		log_warnx("%s", msg);
	else
		log_info("%s", msg);
}

static void
pump_cb(uv_check_t *h)
{
	struct daemon *d = h->data;

	deliver_pump(d);
	if (!deliver_has_work(d))
		uv_idle_stop(&d->busy);
}

static void
tick_cb(uv_timer_t *h)
{
	struct daemon *d = h->data;

	deliver_tick(d);
	resync_tick(d);
	peers_dial_all(d);
}

static void
heartbeat_cb(uv_timer_t *h)
{
	peers_heartbeat(h->data);
}

static void
prekeys_cb(uv_timer_t *h)
{
	struct daemon  *d = h->data;
	int             changed = 0, rc;

	if ((rc = keyring_sync_prekeys(&d->keys, d->store, clock_now(), &changed)) != 0)
		log_warnx("prekeys: rotation failed (%s); will retry", strerror(-rc));
	else if (changed)
		peers_announce(d);
}

static void
deadlines_cb(uv_timer_t *h)
{
	case_tick(h->data);
	expiry_check(h->data, clock_now());
}

static void
close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* SIGTERM: stop taking new work, commit what has arrived, close. */
static void
shutdown_daemon(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	service_stopping();
	log_info("shutting down");
	control_close(d->control);
	d->control = NULL;
	while (d->in_head != NULL)
		deliver_pump(d);
	peers_close_all(d);
	uv_timer_stop(&d->tick);
	uv_timer_stop(&d->heartbeat);
	uv_timer_stop(&d->prekeys);
	uv_timer_stop(&d->deadlines);
	metrics_stop(d);
	close_handle((uv_handle_t *)&d->deadlines);
	close_handle((uv_handle_t *)&d->tick);
	close_handle((uv_handle_t *)&d->heartbeat);
	close_handle((uv_handle_t *)&d->prekeys);
	close_handle((uv_handle_t *)&d->pump);
	close_handle((uv_handle_t *)&d->busy);
	close_handle((uv_handle_t *)&d->sig_term);
	close_handle((uv_handle_t *)&d->sig_int);
	close_handle((uv_handle_t *)&d->sig_hup);
	peers_free(d);
}

/* A [travel "AGENCY"] section may come before its peer is imported; say
 * so, in case the id is misspelt. */
static void
warn_travel_partners(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg.npartners; i++)
		if (peers_by_agency(d, d->cfg.partners[i].agency_id) == NULL)
			log_warnx("%s: [travel \"%s\"] names no pinned peer: its "
			    "rules apply once that agency is imported (`homeward "
			    "peers import`); check the id against `homeward peers`",
			    d->cfg.path, d->cfg.partners[i].agency_id);
}

/* SIGHUP: roles, endpoints, timings, the caps on strangers and log level
 * from the file; the peer directory and prekeys.dat again; metrics_file.
 * Other paths and the listen address need a restart. */
static void limit_descriptors(struct config *);

static void
reload(struct daemon *d)
{
	struct config   nc;
	char            err[CONFIG_ERR_LEN];
	int             changed;

	service_reloading();
	if (config_load(d->cfg.path, &nc, err) != 0) {
		log_warnx("reload refused: %s", err);
		service_ready("running; the last reload was refused");
		return;
	}
	memcpy(nc.agency_dir, d->cfg.agency_dir, sizeof(nc.agency_dir));
	memcpy(nc.state_dir, d->cfg.state_dir, sizeof(nc.state_dir));
	memcpy(nc.control_socket, d->cfg.control_socket, sizeof(nc.control_socket));
	memcpy(nc.listen_host, d->cfg.listen_host, sizeof(nc.listen_host));
	nc.listen_port = d->cfg.listen_port;
	config_free(&d->cfg);
	d->cfg = nc;
	log_setlevel(d->cfg.log_level);
	limit_descriptors(&d->cfg);
	peers_listen_limits(d);
	if (store_set_max_mb(d->store, d->cfg.max_data_mb) != 0 ||
	    store_set_max_keys_mb(d->store, d->cfg.max_keys_mb) != 0)
		log_warnx("reload: max_data_mb or max_keys_mb not applied");
	{
		struct agencydir ad;

		/* Swap in only a directory that loads whole: the keyring keeps
		 * exporting from the old one otherwise. */
		if (agencydir_load(d->cfg.agency_dir, 1, &ad) == 0) {
			agencydir_free(&d->keys.dir);
			d->keys.dir = ad;
		} else {
			log_warnx("reload: agency directory unreadable; keeping what "
			    "was loaded");
		}
	}
	if (keyring_sync_prekeys(&d->keys, d->store, clock_now(), &changed) == 0 &&
	    changed)
		peers_announce(d);
	uv_timer_set_repeat(&d->deadlines, d->cfg.deadline_check_ms);
	if (peers_load(d) != 0)
		log_warnx("reload: peer directory not reloaded");
	warn_travel_partners(d);
	peers_dial_all(d);
	metrics_start(d);           /* metrics_file may have changed: written now */
	log_info("configuration reloaded");
	service_ready("running");
}

static void
signal_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP)
		reload(d);
	else
		shutdown_daemon(d);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: homewardd [-n] [-f config] [--restore file]\n"
	    "  -f config   configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -n          check the configuration and exit\n"
	    "  --restore file\n"
	    "              with the daemon stopped: put the backup file in place\n"
	    "              of the databases, and exit (homewardd(8))\n"
	    "  --version   print the version and exit\n"
	    "  --help      this text\n");
}

/* Core dumps off and the process not dumpable: secrets must not reach a
 * core file (crypto-env1.md 3.6). */
static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		fatal("setrlimit(RLIMIT_CORE)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fatal("prctl(PR_SET_DUMPABLE)");
}

/*
 * Descriptors: the soft limit up to the hard one, then the caps on
 * strangers (unidentified connections on the listener) below it, so that
 * strangers can never take the descriptors the control socket, the
 * peers' connections, SQLite's files and journals, alert commands and
 * the log need.  The reserve is a quarter of the limit, at least
 * FD_RESERVE_MIN; a configured cap above what is left is lowered.  The
 * default cap also bounds memory: a stranger that sent a whole
 * ClientHello and stalls holds OpenSSL's handshake state, about 45 KB
 * (idle ones about 1.2 KB), so 1024 of them cost under 50 MB.
 */
#define FD_RESERVE_MIN          128
#define STRANGERS_MAX           1024    /* default cap, however high the limit */
#define STRANGERS_PER_ADDRESS   32

static void
limit_descriptors(struct config *cfg)
{
	struct rlimit   rl;
	rlim_t          nofile, reserve, room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		fatal("getrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_max != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("cannot raise the descriptor limit to %llu",
			    (unsigned long long)rl.rlim_max);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	nofile = rl.rlim_cur == RLIM_INFINITY ? 65536 : rl.rlim_cur;
	reserve = nofile / 4 > FD_RESERVE_MIN ? nofile / 4 : FD_RESERVE_MIN;
	room = nofile > reserve + 8 ? nofile - reserve : 8;
	if (nofile < reserve + 64)
		log_warnx("descriptor limit %llu is low: strangers may hold only "
		    "%llu; raise it (ulimit -n, LimitNOFILE= in the unit)",
		    (unsigned long long)nofile, (unsigned long long)room);
	if (cfg->max_unidentified == 0)
		cfg->max_unidentified = room < STRANGERS_MAX ? (unsigned)room :
		    STRANGERS_MAX;
	else if (cfg->max_unidentified > room) {
		log_warnx("max_unidentified %u is above what descriptor limit "
		    "%llu leaves after its reserve: %llu used; raise the limit "
		    "to use more", cfg->max_unidentified,
		    (unsigned long long)nofile, (unsigned long long)room);
		cfg->max_unidentified = (unsigned)room;
	}
	if (cfg->max_unidentified_per_address == 0)
		cfg->max_unidentified_per_address = STRANGERS_PER_ADDRESS;
	if (cfg->max_unidentified_per_address > cfg->max_unidentified)
		cfg->max_unidentified_per_address = cfg->max_unidentified;
	log_info("descriptor limit %llu, %llu kept for the daemon",
	    (unsigned long long)nofile, (unsigned long long)reserve);
}

static int
get_passphrase(const struct config *cfg, char **pass, size_t *len)
{
	struct passphrase_src   src;
	char                    fd[16];

	passphrase_src_init(&src);
	if (cfg->passphrase_file[0] != '\0') {
		if (passphrase_src_file(&src, cfg->passphrase_file) != 0)
			return -1;
	} else {
		snprintf(fd, sizeof(fd), "%d", cfg->passphrase_fd);
		if (passphrase_src_fd(&src, fd) != 0)
			return -1;
	}
	return passphrase_get(&src, "daemon key file", 0, pass, len);
}

/* At every start: a copy of an old state directory put back must not
 * bring an erased case back either. */
static void
replay_erasures(struct store *st)
{
	unsigned        n;
	int             rc;

	if ((rc = store_erasures_replay(st, clock_now(), &n)) != 0)
		fatalx("store: cannot replay the erasure journal (%s): free some "
		    "space in the state directory and start again", strerror(-rc));
	if (n > 0)
		log_warnx("store: %u erasure(s) of the erasure journal applied "
		    "again (the databases were older than the journal)", n);
}

/* The restored store: the journal replayed, every peer marked for resync,
 * the restore audited.  0 or a negative errno. */
static int
restore_finish(struct daemon *d, const struct store_backup_info *info,
    unsigned *erased)
{
	char    detail[96], *cause = NULL;
	int     rc;

	if ((rc = store_open(d->cfg.state_dir, d->keys.ksk, &d->store,
	    &cause)) != 0) {
		fprintf(stderr, "homewardd: the restored store does not open: %s\n",
		    cause ? cause : strerror(-rc));
		free(cause);
		return rc;
	}
	if ((rc = store_erasures_replay(d->store, clock_now(), erased)) != 0 ||
	    (rc = store_resync_mark_all(d->store)) != 0) {
		fprintf(stderr, "homewardd: the backup is in place but the "
		    "erasure journal or the resync marks failed (%s): free some "
		    "space and run the restore again\n", strerror(-rc));
		return rc;
	}
	snprintf(detail, sizeof(detail), "%llu bytes restored; %u erasure(s) "
	    "applied again", (unsigned long long)info->bytes, *erased);
	if (audit_append(d->store, CASE_ACTOR_DAEMON, AUDIT_RESTORE, NULL, NULL,
	    detail, clock_now()) == 0)
		audit_anchor_sync(d->store);
	return 0;
}

/* Run as root (the unit's passphrase file is root's), the restore must
 * leave the files to the state directory's owner, the daemon's user. */
static void
restore_owner(const char *dir)
{
	static const char *const names[] = { "data.db", "keystore.db",
	    "data.db.pre-restore", "keystore.db.pre-restore",
	    "erasures.journal" };
	struct stat     sb;
	char            path[PATH_MAX];

	if (geteuid() != 0 || stat(dir, &sb) != 0 || sb.st_uid == 0)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
		    sizeof(path) && lchown(path, sb.st_uid, sb.st_gid) != 0 &&
		    errno != ENOENT)
			fprintf(stderr, "homewardd: cannot give %s to uid %u: %s\n",
			    path, (unsigned)sb.st_uid, strerror(errno));
}

/* homewardd --restore FILE: with the daemon stopped (its control socket
 * is taken here, so none starts meanwhile). */
static int
restore(struct daemon *d, const char *file)
{
	struct store_backup_info info;
	char            *cause = NULL, *pass = NULL;
	size_t          passlen;
	unsigned        erased = 0;
	int             rc = -1;

	/* A daemon that runs answers there.  Where the socket's directory
	 * is gone (systemd removes /run/homeward when the unit stops) none
	 * can run: go on without holding the socket. */
	if ((rc = control_open(d->loop, d->cfg.control_socket,
	    d->cfg.control_group, ctl_handle, d, &d->control, &cause)) != 0 &&
	    rc != -ENOENT) {
		if (rc == -EADDRINUSE)
			fprintf(stderr, "homewardd: cannot restore: %s; stop it "
			    "first (systemctl stop homewardd), then run the "
			    "restore again\n", cause ? cause : "homewardd runs");
		else
			fprintf(stderr, "homewardd: cannot restore: %s; nothing "
			    "was changed\n", cause ? cause : "control socket");
		goto out;
	}
	free(cause);
	cause = NULL;
	rc = -1;
	if (get_passphrase(&d->cfg, &pass, &passlen) != 0 ||
	    keyring_load(&d->keys, d->cfg.agency_dir, pass, passlen, &cause) != 0) {
		fprintf(stderr, "homewardd: %s\n", cause ? cause :
		    "cannot read the daemon key: a backup opens only with it");
		goto out;
	}
	if (mkdir(d->cfg.state_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "homewardd: %s: %s\n", d->cfg.state_dir,
		    strerror(errno));
		goto out;
	}
	store_backup_clean(d->cfg.state_dir);
	if ((rc = store_restore(d->cfg.state_dir, d->keys.ksk, file, &info,
	    &cause)) != 0) {
		fprintf(stderr, "homewardd: %s\n", cause ? cause : strerror(-rc));
		goto out;
	}
	rc = restore_finish(d, &info, &erased);
	store_close(d->store);
	d->store = NULL;
	restore_owner(d->cfg.state_dir);
	if (rc == 0)
		printf("homewardd: %s restored into %s (%llu bytes); %u erasure(s) "
		    "applied again from the erasure journal; every partner is "
		    "resynchronised when homewardd starts\n", file,
		    d->cfg.state_dir, (unsigned long long)info.bytes, erased);
out:
	secret_free(pass);
	free(cause);
	store_close(d->store);
	keyring_free(&d->keys);
	control_close(d->control);
	uv_run(d->loop, UV_RUN_DEFAULT);
	return rc == 0 ? 0 : 1;
}

static void
setup(struct daemon *d)
{
	char            path[PATH_MAX], key[PATH_MAX], *cause = NULL, *pass = NULL;
	size_t          passlen;
	int             changed, rc;

	/* The rooms meet here and only here: delivery tells the procedure,
	 * connections tell delivery (core/core.h).  Set before anything can
	 * call them. */
	d->events.document = case_on_document;
	d->events.delivered = case_on_delivered;
	d->events.due = case_tick;
	d->link_events.envelope = deliver_enqueue;
	d->link_events.peer_up = resync_peer_up;        /* then deliver_peer_up */
	d->link_events.resync_request = resync_on_request;
	d->link_events.resync_state = resync_on_state;

	/* First: a live daemon on this socket means this one must not run
	 * (no request is served before the loop starts). */
	if (control_open(d->loop, d->cfg.control_socket, d->cfg.control_group,
	    ctl_handle, d, &d->control, &cause) != 0)
		fatalx("control socket: %s", cause ? cause : d->cfg.control_socket);
	control_set_admit(d->control, ctl_admit);
	if (get_passphrase(&d->cfg, &pass, &passlen) != 0)
		fatalx("cannot read the daemon key passphrase");
	if (keyring_load(&d->keys, d->cfg.agency_dir, pass, passlen, &cause) != 0)
		fatalx("%s", cause ? cause : "cannot load the keys");
	secret_free(pass);
	if (mkdir(d->cfg.state_dir, 0700) != 0 && errno != EEXIST)
		fatal("%s", d->cfg.state_dir);
	store_backup_clean(d->cfg.state_dir);   /* copies a crash left */
	if ((rc = store_open(d->cfg.state_dir, d->keys.ksk, &d->store, &cause)) != 0)
		fatalx("store: %s", cause ? cause : strerror(-rc));
	replay_erasures(d->store);
	if ((rc = store_resync_instance(d->store, d->cfg.state_dir, &changed)) != 0)
		log_warnx("store: cannot renew the instance nonce (%s)", strerror(-rc));
	else if (changed)
		log_warnx("store: data.db was put back from an older copy: every "
		    "partner is asked what it holds of our threads (PROTOCOL.md 9.5)");
	if ((rc = store_set_max_mb(d->store, d->cfg.max_data_mb)) != 0)
		fatalx("store: cannot set max_data_mb");
	if ((rc = store_set_max_keys_mb(d->store, d->cfg.max_keys_mb)) != 0)
		fatalx("store: cannot set max_keys_mb");
	if ((rc = keyring_sync_prekeys(&d->keys, d->store, clock_now(), &changed)) != 0)
		fatalx("prekeys: %s", strerror(-rc));
	if ((rc = peers_load(d)) != 0)
		fatalx("peer directory: %s", strerror(-rc));
	warn_travel_partners(d);
	if (agencydir_path(d->cfg.agency_dir, AGENCYDIR_TLS_CRT, path) != 0 ||
	    agencydir_path(d->cfg.agency_dir, AGENCYDIR_TLS_KEY, key) != 0)
		fatalx("agency directory path too long");
	if (conn_tls_new(path, key, &d->tls, &cause) != 0)
		fatalx("TLS: %s", cause ? cause : "cannot load the certificate");
	expiry_check(d, clock_now());       /* renews tls.crt when due */
	if (peers_listen(d, &cause) != 0)
		fatalx("%s", cause ? cause : "cannot listen");

	uv_check_init(d->loop, &d->pump);
	d->pump.data = d;
	uv_check_start(&d->pump, pump_cb);
	uv_idle_init(d->loop, &d->busy);
	d->busy.data = d;
	uv_timer_init(d->loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, tick_cb, 1000, d->cfg.retry_min_ms / 2 > 1000 ?
	    1000 : d->cfg.retry_min_ms / 2 + 1);
	uv_timer_init(d->loop, &d->heartbeat);
	d->heartbeat.data = d;
	uv_timer_start(&d->heartbeat, heartbeat_cb, d->cfg.heartbeat_ms,
	    d->cfg.heartbeat_ms);
	uv_timer_init(d->loop, &d->prekeys);
	d->prekeys.data = d;
	uv_timer_start(&d->prekeys, prekeys_cb, d->cfg.prekey_check_ms,
	    d->cfg.prekey_check_ms);
	/* Deadlines survive restarts: they are rows, checked from the start. */
	uv_timer_init(d->loop, &d->deadlines);
	d->deadlines.data = d;
	uv_timer_start(&d->deadlines, deadlines_cb, 0, d->cfg.deadline_check_ms);
	uv_signal_init(d->loop, &d->sig_term);
	uv_signal_init(d->loop, &d->sig_int);
	uv_signal_init(d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, signal_cb, SIGTERM);
	uv_signal_start(&d->sig_int, signal_cb, SIGINT);
	uv_signal_start(&d->sig_hup, signal_cb, SIGHUP);
	peers_dial_all(d);
	metrics_start(d);
	daemon_wake(d);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "restore", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon   d;
	const char     *path = CONFIG_DEFAULT_PATH, *restore_file = NULL;
	char            err[CONFIG_ERR_LEN];
	int             ch, check = 0;

	while ((ch = getopt_long(argc, argv, "f:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'R':
			restore_file = optarg;
			break;
		case 'V':
			printf("homewardd %s\n", HOMEWARD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (check && restore_file != NULL)) {
		usage(stderr);
		return 2;
	}
	memset(&d, 0, sizeof(d));
	d.in_tail = &d.in_head;
	if (config_load(path, &d.cfg, err) != 0) {
		fprintf(stderr, "homewardd: %s\n", err);
		return 1;
	}
	if (d.cfg.control_group != (gid_t)-1 &&
	    service_group_usable(d.cfg.control_group, err) != 0) {
		fprintf(stderr, "homewardd: %s: %s\n", path, err);
		config_free(&d.cfg);
		return 1;
	}
	if (check) {
		struct agencydir ad;

		if (agencydir_load(d.cfg.agency_dir, 0, &ad) != 0) {
			config_free(&d.cfg);
			return 1;
		}
		agencydir_free(&ad);
		printf("homewardd: %s: configuration OK\n", path);
		config_free(&d.cfg);
		return 0;
	}
	harden();
	/* A CLI may go away mid-answer: a write error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (secret_init() != 0)
		fatalx("libsodium did not initialise");
	/* A restore talks to the administrator at the terminal. */
	log_init(restore_file == NULL && d.cfg.log_syslog, d.cfg.log_level,
	    "homewardd");
	/* The operator's language for answers; the log stays English. */
	lang_init();
	report_set_sink(report_to_log);
	d.loop = uv_default_loop();
	d.started_at = clock_now();
	if (restore_file != NULL) {
		ch = restore(&d, restore_file);
		config_free(&d.cfg);
		uv_loop_close(d.loop);
		return ch;
	}
	limit_descriptors(&d.cfg);
	setup(&d);
	log_info("homewardd %s started: agency %s, fingerprint %s", HOMEWARD_VERSION,
	    d.keys.agency_id, d.keys.fingerprint);
	service_ready("running");
	uv_run(d.loop, UV_RUN_DEFAULT);
	conn_tls_free(d.tls);
	store_close(d.store);
	keyring_free(&d.keys);
	config_free(&d.cfg);
	uv_loop_close(d.loop);
	log_info("stopped");
	return 0;
}
