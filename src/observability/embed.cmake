# cmake -DIN=file -DOUT=header -DNAME=ident -P embed.cmake: writes `NAME`,
# the bytes of IN as a char array, and `NAME_size` (without the NUL added at the end). A
# missing IN gives an empty asset (size 0).
set(body "")
if(EXISTS ${IN})
  file(READ ${IN} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
endif()
file(WRITE ${OUT} "// Generated from ${IN} by embed.cmake; do not edit.\n#pragma once\n#include <cstddef>\n"
     "namespace sluice::obs {\ninline constexpr char ${NAME}[] = {${body}'\\0'};\n"
     "inline constexpr size_t ${NAME}_size = sizeof(${NAME}) - 1;\n}\n")
