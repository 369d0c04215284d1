// headertest.cpp - the public header compiles and links from C++.
#include <ultramigrate/ultramigrate.h>

#include <cstring>

int main()
{
    um_open_options o = UM_OPEN_OPTIONS_INIT;
    return (o.version == UM_OPEN_OPTIONS_VERSION && std::strlen(um_version()) > 0) ? 0 : 1;
}
