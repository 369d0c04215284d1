// headertest.cpp - the public header compiles and links from C++.
#include <ultramigrate/ultramigrate.h>

#include <cstring>

int main()
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    um_merge_options m = UM_MERGE_OPTIONS_INIT;
    um_project_init_options p = UM_PROJECT_INIT_OPTIONS_INIT;
    return (o.version == UM_OPEN_OPTIONS_VERSION && m.version == UM_MERGE_OPTIONS_VERSION &&
            p.version == UM_PROJECT_INIT_OPTIONS_VERSION && std::strlen(um_version()) > 0 &&
            um_version_number() == UM_VERSION_NUMBER)
               ? 0
               : 1;
}
