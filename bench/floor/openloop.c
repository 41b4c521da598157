// open+close of one file N times: the flat-out ordinary-open loop of bench/floor.sh,
// with no runtime in the way (every syscall is one of the two).
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
int main(int c, char **v) { int n = atoi(v[2]); for (int i = 0; i < n; i++) { int fd = open(v[1], O_RDONLY); close(fd); } return 0; }
