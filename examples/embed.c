/* placeholder */
#include <ultramigrate/ultramigrate.h>
int main(void) { return um_version() ? 0 : 1; }
