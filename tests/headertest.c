/* headertest.c - the public header compiles alone as pedantic C99. */
#include <ultramigrate/ultramigrate.h>

#if !UM_CHECK_VERSION(0, 1, 0)
#error "version macros are wrong"
#endif

int main(void)
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    um_apply_options a = UM_APPLY_OPTIONS_INIT;
    um_generate_options g = UM_GENERATE_OPTIONS_INIT;
    um_merge_options m = UM_MERGE_OPTIONS_INIT;
    um_project_init_options p = UM_PROJECT_INIT_OPTIONS_INIT;
    um_health h = UM_HEALTH_INIT;
    return (o.version == UM_OPEN_OPTIONS_VERSION && a.version == UM_APPLY_OPTIONS_VERSION &&
            g.version == UM_GENERATE_OPTIONS_VERSION && m.version == UM_MERGE_OPTIONS_VERSION &&
            p.version == UM_PROJECT_INIT_OPTIONS_VERSION && h.version == UM_HEALTH_VERSION)
               ? 0
               : 1;
}
