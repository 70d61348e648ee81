/* SPDX-License-Identifier: MIT */
/* Unit tests of the per-user records (agent/peers.c): the report budget,
 * the ring of endpoints handed out, administrators, forgetting idle users. */
#include <unistd.h>

#include "agent/conn.h"
#include "agent/peers.h"
#include "tests/unit/tap.h"

/* A burst of twice the rate, then one report per 1/rate seconds. */
static void test_rate(void)
{
	struct peers *p = peers_new();
	struct peer *pr = peers_get(p, 1000);
	int taken = 0;

	CHECK(pr && pr->uid == 1000);
	CHECK(peers_get(p, 1000) == pr);
	for (int i = 0; i < 30; i++)
		taken += peer_take_report(pr, 5, 100.0);
	CHECK_INT_EQ(taken, 10);
	CHECK(!peer_take_report(pr, 5, 100.1));
	CHECK(peer_take_report(pr, 5, 100.3)); /* 0.3 s later: 1.5 tokens came back */
	CHECK(!peer_take_report(pr, 5, 100.3));
	/* However long the pause, the burst stays 10. */
	taken = 0;
	for (int i = 0; i < 30; i++)
		taken += peer_take_report(pr, 5, 1000.0);
	CHECK_INT_EQ(taken, 10);
	peers_free(p);
}

/* Handed endpoints are remembered for PEERS_HANDED_S, the last
 * PEERS_HANDED_MAX of them, and per user. */
static void test_handed(void)
{
	struct peers *p = peers_new();
	struct peer *a = peers_get(p, 1000), *b = peers_get(p, 1001);

	CHECK(!peer_was_handed(a, 7, 10.0));
	peer_handed(a, 7, 10.0);
	peer_handed(a, 7, 11.0); /* the same again: refreshed, not a new slot */
	CHECK_INT_EQ(a->n_handed, 1);
	CHECK(peer_was_handed(a, 7, 11.0 + PEERS_HANDED_S - 1));
	CHECK(!peer_was_handed(a, 7, 11.0 + PEERS_HANDED_S + 1));
	CHECK(!peer_was_handed(b, 7, 11.0));
	for (uint64_t id = 100; id < 100 + PEERS_HANDED_MAX; id++)
		peer_handed(a, id, 20.0);
	CHECK(!peer_was_handed(a, 7, 20.0)); /* pushed out of the ring */
	CHECK(peer_was_handed(a, 100, 20.0));
	CHECK(peer_was_handed(a, 100 + PEERS_HANDED_MAX - 1, 20.0));
	peers_free(p);
}

/* Idle users without watches are forgotten; others are kept. */
static void test_sweep(void)
{
	struct peers *p = peers_new();
	struct peer *a = peers_get(p, 1000), *b = peers_get(p, 1001), *c = peers_get(p, 1002);

	a->last_active = 0;
	b->last_active = 0;
	b->watches = 1;
	c->last_active = 1000;
	CHECK_INT_EQ(peers_count(p), 3);
	peers_sweep(p, 1000);
	CHECK_INT_EQ(peers_count(p), 2);
	CHECK(peers_get(p, 1001)->watches == 1);
	peers_sweep(p, 1010); /* at most once a minute */
	CHECK_INT_EQ(peers_count(p), 2);
	peers_free(p);
}

static void test_admin(void)
{
	CHECK(conn_uid_is_admin(0));
	CHECK(conn_uid_is_admin(geteuid()));
	CHECK(geteuid() == 65534 || !conn_uid_is_admin(65534));
	/* Without an allow list or a socket group, only administrators. */
	CHECK(peers_allowed(NULL, 0, NULL, -1, 0, 0));
	CHECK(geteuid() == 65534 || !peers_allowed(NULL, 0, NULL, -1, 65534, 65534));
}

int main(void)
{
	test_rate();
	test_handed();
	test_sweep();
	test_admin();
	return test_summary();
}
