# One kingpin against its worker count, from mob-scale-bench --data's scale.dat: start
# to full and revive (left axis), the kingpin's idle CPU (right axis).
# Variables: data, out.
set terminal svg size 820,500 dynamic font "sans,12"
set output out
set title "one kingpin: start-up, revive and idle CPU against workers"
set logscale x
set xlabel "spawned workers"
set ylabel "ms"
set y2label "kingpin idle CPU, % of one core"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
set key top left
plot data using 1:2 with linespoints linewidth 2 title "start -> full (ms)", \
     data using 1:11 with linespoints linewidth 2 title "start -> full, each worker exec'd (ms)", \
     data using 1:7 with linespoints linewidth 2 title "revive (ms)", \
     data using 1:5 axes x1y2 with linespoints linewidth 2 title "idle CPU (%)"
