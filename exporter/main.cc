#include "exporter/app/cli.h"

int main(int argc, char** argv) { return pe::Main(argc, argv); }
