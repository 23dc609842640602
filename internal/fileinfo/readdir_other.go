//go:build !linux

package fileinfo

import (
	"io/fs"
	"os"
	"path/filepath"
)

// lstatAll stats names in dir by path.
func lstatAll(_ *os.File, dir string, names []string) ([]fs.FileInfo, error) {
	infos := make([]fs.FileInfo, len(names))
	for i, name := range names {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		infos[i] = fi
	}
	return infos, nil
}
