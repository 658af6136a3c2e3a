/*
 * The bottom of the control room: results every handler may end with.
 * Store failures, case.h's errors and a missing role as results (the
 * words say what to do next), and the look-ups of a case and of a peer's
 * agency id that several handlers begin with.  Calls nothing else in ctl/.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "daemon/ctl/ctl_int.h"
#include "proto/keys.pb-c.h"
#include "keys/secret.h"

int
ctl_store_result(struct control_client *c, int rc, const char *what)
{
	if (rc == -ENOSPC)
		return control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_STORE,
		    _("%s: the disk is full; nothing was changed. Free space and retry"),
		    what);
	return control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_STORE,
	    _("%s: the store failed (%s); nothing was changed. See the daemon's log"),
	    what, strerror(-rc));
}

int
ctl_need_role(struct control_client *c, struct daemon *d, uid_t uid, unsigned roles,
    const char *what)
{
	if ((config_roles(&d->cfg, uid) & roles) != 0)
		return 0;
	control_result(c, HOMEWARD__CONTROL__RESULT_CODE__RESULT_DENIED,
	    _("%s needs the role %s; ask an administrator to add you under [roles] "
	    "in %s"), what, roles & ROLE_SUPERVISOR ? (roles & ROLE_CASEWORKER ?
	    "caseworker or supervisor" : roles & ROLE_AUDITOR ? "supervisor or "
	    "auditor" : "supervisor") : "auditor", d->cfg.path);
	return -1;
}

void
ctl_case_result(struct control_client *c, int rc, const char *why, const char *what)
{
	switch (rc) {
	case -EINVAL:
	case -EMSGSIZE:
		control_result(c, R(USAGE), "%s", why);
		break;
	case -ENOENT:
		control_result(c, R(NOT_FOUND), "%s", why);
		break;
	case -EACCES:
		control_result(c, R(DENIED), "%s", why);
		break;
	case -EEXIST:
	case -EPERM:
		control_result(c, R(REFUSED), "%s", why);
		break;
	default:
		ctl_store_result(c, rc, what);
		break;
	}
}

int
ctl_find_case(struct control_client *c, struct daemon *d,
    const Homeward__Control__CaseRef *ref, struct store_case *out)
{
	char why[CASE_WHY_LEN];
	int  rc;

	if (ref == NULL || ref->code == NULL) {
		control_result(c, R(USAGE), _("name the case by its code"));
		return -1;
	}
	if ((rc = case_find(d, ref->code, ref->home, out, why, sizeof(why))) != 0) {
		ctl_case_result(c, rc, why, "case");
		return -1;
	}
	return 0;
}

const char *
ctl_agency_of(struct daemon *d, const uint8_t rik[ENV1_KEY_LEN])
{
	struct peer *p = peers_by_rik(d, rik);

	return p != NULL ? p->rec.agency_id : "(removed)";
}

int
ctl_message_body(struct daemon *d, const struct store_out *m,
    const struct store_in *in, uint8_t **body, size_t *len)
{
	Homeward__Keys__SignedMessage  *sm;
	uint8_t                        *ev = NULL;
	size_t                          evlen = 0;
	int                             rc;

	*body = NULL;
	*len = 0;
	if (m != NULL) {
		if ((rc = store_out_body(d->store, m, body)) == 0)
			*len = (size_t)m->body_len;
		return rc;
	}
	if ((rc = store_in_evidence(d->store, in, &ev, &evlen)) != 0)
		return rc;
	sm = homeward__keys__signed_message__unpack(NULL, evlen, ev);
	if (sm == NULL || sm->body.len != in->body_len ||
	    (*body = secret_dup(sm->body.data, sm->body.len)) == NULL)
		rc = -EBADMSG;
	else
		*len = sm->body.len;
	if (sm != NULL) {
		sodium_memzero(sm->body.data, sm->body.len);
		homeward__keys__signed_message__free_unpacked(sm, NULL);
	}
	secret_free(ev);
	return rc;
}
