/* nfq-hold QUEUE: bind netfilter queue QUEUE in this network namespace and
 * hold it until killed, so that another process cannot: the e2e tests'
 * forwarder that cannot open.  Prints "holding QUEUE" once bound (the
 * test waits for that line, not for a time). */
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *m, struct nfq_data *d, void *arg)
{
	(void)q;
	(void)m;
	(void)d;
	(void)arg;
	return 0;
}

int main(int argc, char **argv)
{
	struct nfq_handle *h;
	struct nfq_q_handle *q;
	int queue;

	if (argc != 2) {
		fprintf(stderr, "usage: nfq-hold QUEUE\n");
		return 2;
	}
	queue = atoi(argv[1]);
	h = nfq_open();
	if (!h || !(q = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL))) {
		fprintf(stderr, "nfq-hold: cannot bind queue %d\n", queue);
		return 1;
	}
	printf("holding %d\n", queue);
	fflush(stdout);
	pause();
	nfq_destroy_queue(q);
	nfq_close(h);
	return 0;
}
