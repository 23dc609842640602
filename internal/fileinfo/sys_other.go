//go:build !linux && !darwin && !freebsd && !netbsd

package fileinfo

// sysStat reports nothing where stat's extra fields are not known here.
func sysStat(any) (Stat, bool) { return Stat{}, false }
