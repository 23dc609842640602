package checkout

import "syscall"

func statDev(st *syscall.Stat_t) uint64             { return st.Dev }
func statAtime(st *syscall.Stat_t) syscall.Timespec { return st.Atim }
func statNlink(st *syscall.Stat_t) uint64           { return uint64(st.Nlink) }
