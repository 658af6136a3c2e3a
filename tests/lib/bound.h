/*
 * The bound of bench-delivery: the time per message of the work no
 * implementation of delivery can avoid, measured in the same run and on
 * the same machine as the daemons it is set against.  Each message is
 * sealed once and opened once on each side (the document, then its
 * receipt) and committed durably once on each side: 2 seals + 2 opens +
 * 2 commits, done one after the other.
 */
#ifndef HOMEWARD_TESTS_BOUND_H
#define HOMEWARD_TESTS_BOUND_H

#define BOUND_BODY_LEN  1024            /* bytes of a document and a row */
#define BOUND_ROUNDS    5               /* best of */
#define BOUND_COMMITS   200             /* commits per round */
#define BOUND_WHY_LEN   256

struct bound {
	double          seal, open;     /* thread CPU s per call */
	double          commit;         /* wall s per durable commit */
	double          commit_median;  /* of the rounds: how noisy the disk is */
	double          per_msg;        /* 2 seals + 2 opens + 2 commits */
	double          rate;           /* 1 / per_msg */
};

/*
 * env1_seal and env1_open of a BOUND_BODY_LEN document between two fixture
 * agencies in this thread, then commits of one BOUND_BODY_LEN row per
 * transaction in a WAL database with synchronous=FULL (as the daemons'
 * store is opened) made as dir/bound.db and removed again: put dir on the
 * daemons' filesystem.  0, or -EIO with why saying what failed.
 */
int bound_measure(struct bound *bd, const char *dir, char why[BOUND_WHY_LEN]);

#endif
