# cmake -DIN=file -DOUT=header -P embed.cmake: writes `kDashboardHtml`, the
# bytes of IN as a char array (no terminating NUL).
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," body "${hex}")
file(WRITE ${OUT} "// Generated from ${IN} by embed.cmake; do not edit.\n#pragma once\n"
     "namespace sluice::obs {\ninline constexpr char kDashboardHtml[] = {${body}};\n}\n")
