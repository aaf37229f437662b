/* Firmware entry: bring up the board, run the selected application, report its status. */
#include <stdio.h>

#include "platform.h"

int app_main(void);

int main(void)
{
    platform_init();
    printf("\nKWS SoC firmware (" __DATE__ " " __TIME__ ")\n");
    platform_exit(app_main());
}
