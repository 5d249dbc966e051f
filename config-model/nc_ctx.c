/* The NETCONF context: see nc_ctx.h. */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>

#include "nc_ctx.h"

/* what svrd serves (doc/netconf.md) */
static const char *nc_features[] = {"writable-running",
				    "candidate",
				    "confirmed-commit",
				    "rollback-on-error",
				    "validate",
				    "xpath",
				    NULL};

struct ly_ctx *nc_ctx_new(const char *yang_dir, int client)
{
	char ietf[4096];
	struct ly_ctx *ctx = NULL;

	snprintf(ietf, sizeof(ietf), "%s/ietf", yang_dir);
	if (ly_ctx_new(yang_dir, 0, &ctx) != LY_SUCCESS ||
	    ly_ctx_set_searchdir(ctx, ietf) != LY_SUCCESS ||
	    !ly_ctx_load_module(ctx, "ietf-netconf", NULL, nc_features) ||
	    !ly_ctx_load_module(ctx, "ietf-netconf-with-defaults", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, "ietf-netconf-monitoring", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, "notifications", NULL, NULL) ||
	    (client && !ly_ctx_load_module(ctx, "ietf-netconf-nmda", NULL, NULL)) ||
	    !ly_ctx_load_module(ctx, "opensvr", NULL, NULL)) {
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}
