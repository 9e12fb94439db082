#include "CDeadline.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

// Written before the alarm is armed and only read by the handler afterwards.
static char deadline_message[512];
static size_t deadline_message_length;
static int deadline_exit_code = 2;

static void deadline_expired(int signal_number) {
    (void)signal_number;
    if (deadline_message_length > 0) {
        ssize_t ignored = write(2, deadline_message, deadline_message_length);
        (void)ignored;
    }
    _exit(deadline_exit_code);
}

void cloudwal_arm_deadline(unsigned int seconds, int exit_code, const char *message) {
    alarm(0);
    if (seconds == 0) return;
    size_t length = strlen(message);
    if (length > sizeof(deadline_message) - 2) length = sizeof(deadline_message) - 2;
    memcpy(deadline_message, message, length);
    deadline_message[length] = '\n';
    deadline_message_length = length + 1;
    deadline_exit_code = exit_code;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = deadline_expired;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, NULL);
    alarm(seconds);
}
