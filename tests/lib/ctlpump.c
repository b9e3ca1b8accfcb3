/* tests/lib/ctlpump.c — ptmctl against a private pump (see ctlpump.h). */
#include "tests/lib/ctlpump.h"

#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/lib/prog.h"

void ctlpump_start(struct ctlpump *f, const char *rx_text)
{
	prog_find("ptmctl", f->ptmctl, sizeof f->ptmctl);
	f->pump = e2e_start(rx_text, 0);
	cr_assert_not_null(f->pump, "pumpd did not start");
	snprintf(f->pump_key, sizeof f->pump_key, "%s/pump.pub", e2e_state_dir(f->pump));
	snprintf(f->addr, sizeof f->addr, "%s", e2e_addr(f->pump));
}

void ctlpump_stop(struct ctlpump *f)
{
	e2e_free(f->pump);
	f->pump = NULL;
}

struct ctlpump ctlpump_F;

void ctlpump_setup(void)
{
	ctlpump_start(&ctlpump_F, NULL);
}

void ctlpump_teardown(void)
{
	ctlpump_stop(&ctlpump_F);
}
