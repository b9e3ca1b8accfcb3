/* tools/scenario/scnstep.c — the roles of a scenario by name (see
 * scnstep.h). */
#include "tools/scenario/scnstep.h"

#include <string.h>

static const char *const role_names[SCN_ROLES] = { "patient", "clinician", "tester" };

const char *scn_role_name(int role)
{
	return role >= 0 && role < SCN_ROLES ? role_names[role] : "unknown";
}

int scn_role_parse(const char *str)
{
	for (int i = 0; i < SCN_ROLES; i++)
		if (strcmp(str, role_names[i]) == 0)
			return i;
	return -1;
}
