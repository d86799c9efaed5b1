# The latency distribution of each path at one call in flight: a percentile spectrum
# (x = 1/(1-q), so 90%, 99% and 99.9% are a decade apart) of mob-rpc-bench --data's
# latency-*.dat. Variables: data, out, ttl, blocks (the file's number of paths).
set terminal svg size 820,500 dynamic font "sans,12"
set output out
set title ttl
set logscale xy
set xtics ("0%%" 1, "50%%" 2, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000)  # labels are formats: %% is a %
set xlabel "percentile"
set ylabel "round trip (us)"
set grid
set key bottom right
plot for [i=0:blocks-1] data index i using 1:2 with lines linewidth 2 title columnheader(1)
