// Command refbench makes the data that scripts/bench-references.sh
// records as references: objects in an S3 bucket and a tree of files.
//
//	refbench s3 -endpoint URL -bucket B -prefix P -n N [-workers W]
//	refbench files -dir D -n N [-per-dir K]
//
// S3 credentials and region come from the AWS environment variables. Each
// object and file holds a few bytes that name it, so every one has its own
// ETag and digest. Existing objects and files are overwritten.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "s3":
		err = populateS3(os.Args[2:])
	case "files":
		err = populateFiles(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "refbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: refbench s3 -endpoint URL -bucket B -prefix P -n N [-workers W]\n       refbench files -dir D -n N [-per-dir K]")
	os.Exit(2)
}

// name returns the path of object i: dNNNN/fNNNNNNN, perDir to a folder.
func name(i, perDir int) string {
	return fmt.Sprintf("d%05d/f%08d.bin", i/perDir, i)
}

func populateS3(args []string) error {
	fs := flag.NewFlagSet("s3", flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "S3 endpoint URL")
	bucket := fs.String("bucket", "", "bucket (created if missing)")
	prefix := fs.String("prefix", "objs", "key prefix")
	n := fs.Int("n", 100000, "objects")
	perDir := fs.Int("per-dir", 1000, "objects per folder")
	workers := fs.Int("workers", 64, "concurrent puts")
	fs.Parse(args)
	if *endpoint == "" || *bucket == "" {
		return errors.New("-endpoint and -bucket are required")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = endpoint
		o.UsePathStyle = true
	})
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
			return fmt.Errorf("create bucket %s: %w", *bucket, err)
		}
	}
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *workers)
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				key := strings.TrimSuffix(*prefix, "/") + "/" + name(i, *perDir)
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader(key)})
				if err != nil {
					errs <- fmt.Errorf("put %s: %w", key, err)
					next.Store(int64(*n))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("put %d objects under s3://%s/%s in %v\n", *n, *bucket, *prefix, time.Since(start).Round(time.Millisecond))
	return nil
}

func populateFiles(args []string) error {
	fs := flag.NewFlagSet("files", flag.ExitOnError)
	dir := fs.String("dir", "", "folder to fill")
	n := fs.Int("n", 1000000, "files")
	perDir := fs.Int("per-dir", 1000, "files per folder")
	fs.Parse(args)
	if *dir == "" {
		return errors.New("-dir is required")
	}
	start := time.Now()
	for i := range *n {
		p := filepath.Join(*dir, filepath.FromSlash(name(i, *perDir)))
		if i%*perDir == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %d files under %s in %v\n", *n, *dir, time.Since(start).Round(time.Millisecond))
	return nil
}
