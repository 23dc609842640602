package s3

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
)

// ClientOptions say how to reach S3; zero values mean the SDK's defaults
// (the standard credential chain, AWS_REGION, AWS_ENDPOINT_URL).
type ClientOptions struct {
	Region      string
	Endpoint    string // an S3-compatible server; "" for AWS
	PathStyle   bool   // bucket in the path, not the host name
	Credentials aws.CredentialsProvider
	// Timeout bounds the wait for a response's headers.
	Timeout time.Duration
}

// NewClient makes an S3 client the way trove talks to S3, for remotes and
// for references alike: the SDK neither retries (its callers do, knowing
// what is safe to repeat) nor logs (errors carry what it would say),
// response checksums are checked only where S3 requires it (content is
// verified above this layer), region us-east-1 signs requests when none is
// configured, and an endpoint that cannot have bucket subdomains
// (localhost, an IP address) gets path-style addressing. It returns the
// endpoint in use, "" for AWS.
func NewClient(ctx context.Context, o ClientOptions) (*awss3.Client, string, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = maxIdleConns
		tr.MaxIdleConnsPerHost = maxIdleConns
		tr.ResponseHeaderTimeout = o.Timeout
	})
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithHTTPClient(httpClient),
		config.WithLogger(logging.Nop{}),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = defaultRegion
	}
	var endpoint string
	client := awss3.NewFromConfig(awsCfg, func(so *awss3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		if so.BaseEndpoint != nil {
			endpoint = *so.BaseEndpoint
		}
		so.UsePathStyle = o.PathStyle || needsPathStyle(endpoint)
		so.Retryer = aws.NopRetryer{}
	})
	return client, endpoint, nil
}

// needsPathStyle reports whether an endpoint cannot have bucket subdomains.
func needsPathStyle(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || endpoint == "" {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || net.ParseIP(h) != nil
}
