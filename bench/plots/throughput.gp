# Calls/s against calls in flight, a line per path, from mob-rpc-bench --data's
# throughput-*.dat. Variables: data, out, ttl, columns (the file's number of columns).
set terminal svg size 820,500 dynamic font "sans,12"
set output out
set title ttl
set logscale x 2
set xlabel "calls in flight"
set ylabel "calls/s"
set yrange [0:*]
set grid
set key top left
plot for [c=2:columns] data using 1:c with linespoints linewidth 2 title columnheader(c)
