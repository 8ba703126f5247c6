// golf-data-cli ARGS... behaves like `golfc data ARGS...` (for tests).
#include "tools/golfc/DataCommand.h"

int main(int argc, char **argv) {
  argv[0] = const_cast<char *>("data");
  return golf::runDataCommand(argc, argv);
}
