/*
 * serial2tcp_fc: LiteX simulation module connecting the SoC's UART ("serial" pads of the sim UART
 * PHY) to one TCP client, with flow control both ways, so a host can stream audio at whatever speed
 * the simulation runs (soc/build.py --audio uart).
 *
 * Based on LiteX's serial2tcp module (litex/build/sim/core/modules/serial2tcp, BSD-2-Clause,
 * Copyright (c) LiteX developers). Differences:
 *   - host -> SoC: bytes are read from the socket only while the 2 KiB buffer has room, so TCP
 *     back-pressure (not an overwritten buffer) stops a fast host; nothing is lost or reordered;
 *   - SoC -> host: the UART transmitter is held (tx_ready low) until a client is connected, so the
 *     firmware's first lines are not dropped; writes use MSG_NOSIGNAL and a closed client is dropped;
 *   - listens on 127.0.0.1 only; prints "[serial2tcp_fc] listening on port N".
 * Arguments (sim_config.js): {"port": N}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "error.h"
#include "modules.h"

#define BUF 2048

struct session_s {
	char *tx, *tx_valid, *tx_ready;
	char *rx, *rx_valid, *rx_ready;
	char *sys_clk;
	struct event *ev;
	char databuf[BUF];
	int data_start, datalen;
	int fd;               /* connected client, or -1 */
	clk_edge_state_t edge;
};

static struct event_base *base;

static int get_arg(char *args, const char *key, char **val)
{
	json_object *js, *obj;
	*val = NULL;
	if (!args || !(js = json_tokener_parse(args)) || !json_object_is_type(js, json_type_object) ||
	    !json_object_object_get_ex(js, key, &obj)) {
		fprintf(stderr, "[serial2tcp_fc] missing \"%s\" in the module arguments\n", key);
		return RC_JSERROR;
	}
	*val = strdup(json_object_get_string(obj));
	return RC_OK;
}

static void pads_get(struct pad_s *pads, const char *name, char **signal)
{
	*signal = NULL;
	for (int i = 0; pads[i].name; i++)
		if (!strcmp(pads[i].name, name)) {
			*signal = (char *)pads[i].signal;
			return;
		}
}

static int serial2tcp_fc_start(void *b)
{
	base = (struct event_base *)b;
	return RC_OK;
}

static void drop_client(struct session_s *s)
{
	if (s->ev) {
		event_del(s->ev);
		event_free(s->ev);
		s->ev = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void read_handler(int fd, short event, void *arg)
{
	struct session_s *s = (struct session_s *)arg;
	char buffer[1024];
	int room = BUF - s->datalen;
	if (!(event & EV_READ) || room <= 0)
		return;                 /* full: leave the bytes in the socket (TCP back-pressure) */
	ssize_t n = read(fd, buffer, room < (int)sizeof(buffer) ? room : (int)sizeof(buffer));
	if (n == 0) {                   /* the client closed: keep what was received */
		event_del(s->ev);
		event_free(s->ev);
		s->ev = NULL;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		s->databuf[(s->data_start + s->datalen) % BUF] = buffer[i];
		s->datalen++;
	}
}

static void accept_conn_cb(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *address,
                           int socklen, void *ctx)
{
	struct session_s *s = (struct session_s *)ctx;
	if (s->fd >= 0) {               /* one client at a time */
		close(fd);
		return;
	}
	s->fd = fd;
	s->ev = event_new(base, fd, EV_READ | EV_PERSIST, read_handler, s);
	event_add(s->ev, NULL);
}

static int serial2tcp_fc_new(void **sess, char *args)
{
	char *cport = NULL;
	struct session_s *s;
	struct sockaddr_in sin;
	int port = 0, ret = get_arg(args, "port", &cport);
	if (ret != RC_OK)
		return ret;
	port = atoi(cport);
	free(cport);
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "[serial2tcp_fc] invalid port\n");
		return RC_ERROR;
	}
	s = (struct session_s *)calloc(1, sizeof(*s));
	if (!s)
		return RC_NOENMEM;
	s->fd = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (!evconnlistener_new_bind(base, accept_conn_cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
	                             (struct sockaddr *)&sin, sizeof(sin))) {
		fprintf(stderr, "[serial2tcp_fc] cannot listen on 127.0.0.1:%d\n", port);
		free(s);
		return RC_ERROR;
	}
	printf("[serial2tcp_fc] listening on port %d\n", port);
	fflush(stdout);
	*sess = s;
	return RC_OK;
}

static int serial2tcp_fc_add_pads(void *sess, struct pad_list_s *plist)
{
	struct session_s *s = (struct session_s *)sess;
	if (!sess || !plist)
		return RC_INVARG;
	if (!strcmp(plist->name, "serial")) {
		pads_get(plist->pads, "sink_data", &s->rx);
		pads_get(plist->pads, "sink_valid", &s->rx_valid);
		pads_get(plist->pads, "sink_ready", &s->rx_ready);
		pads_get(plist->pads, "source_data", &s->tx);
		pads_get(plist->pads, "source_valid", &s->tx_valid);
		pads_get(plist->pads, "source_ready", &s->tx_ready);
	}
	if (!strcmp(plist->name, "sys_clk"))
		pads_get(plist->pads, "sys_clk", &s->sys_clk);
	return RC_OK;
}

static int serial2tcp_fc_tick(void *sess, uint64_t time_ps)
{
	struct session_s *s = (struct session_s *)sess;
	(void)time_ps;
	if (!clk_pos_edge(&s->edge, *s->sys_clk))
		return RC_OK;
	/* SoC -> host: accept a byte only when it can be delivered */
	*s->tx_ready = s->fd >= 0;
	if (s->fd >= 0 && *s->tx_valid) {
		char c = *s->tx;
		if (send(s->fd, &c, 1, MSG_NOSIGNAL) != 1)
			drop_client(s);
	}
	/* host -> SoC */
	*s->rx_valid = 0;
	if (s->datalen) {
		*s->rx = s->databuf[s->data_start];
		*s->rx_valid = 1;
		if (*s->rx_ready) {
			s->data_start = (s->data_start + 1) % BUF;
			s->datalen--;
		}
	}
	return RC_OK;
}

static struct ext_module_s ext_mod = {
	"serial2tcp_fc",
	serial2tcp_fc_start,
	serial2tcp_fc_new,
	serial2tcp_fc_add_pads,
	NULL,
	serial2tcp_fc_tick
};

int litex_sim_ext_module_init(int (*register_module)(struct ext_module_s *))
{
	return register_module(&ext_mod);
}
