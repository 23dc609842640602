package s3

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
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
//
// Credentials come from the standard chain unless o.Credentials is set.
// The chain ends with the EC2 instance metadata service (IMDS, at
// 169.254.169.254), which is only asked when nothing else is configured,
// and which only AWS accepts the roles of. For an endpoint that is not
// AWS's (an S3-compatible server, from o.Endpoint or the environment), it
// is skipped: looking for an instance role would only delay the "no
// credentials" error and send a request off the machine for nothing.
// AWS_EC2_METADATA_DISABLED=false keeps it even then. Errors that come from
// getting credentials are marked, so [Bucket] can say "no credentials"
// rather than relay the chain's last attempt.
func NewClient(ctx context.Context, o ClientOptions) (*awss3.Client, string, error) {
	client, endpoint, err := newClient(ctx, o, o.Endpoint != "" && !isAWSEndpoint(o.Endpoint))
	if err == nil && o.Endpoint == "" && endpoint != "" && !isAWSEndpoint(endpoint) {
		// The endpoint came from the environment or a profile, which the
		// SDK reads while building the client: build it again without
		// IMDS now that the endpoint is known.
		client, endpoint, err = newClient(ctx, o, true)
	}
	return client, endpoint, err
}

func newClient(ctx context.Context, o ClientOptions, noIMDS bool) (*awss3.Client, string, error) {
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
	if noIMDS && !strings.EqualFold(os.Getenv(imdsDisabledEnv), "false") {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = defaultRegion
	}
	if awsCfg.Credentials != nil {
		awsCfg.Credentials = markedCredentials{awsCfg.Credentials}
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

// imdsDisabledEnv is the SDK's switch for the instance metadata service.
const imdsDisabledEnv = "AWS_EC2_METADATA_DISABLED"

// isAWSEndpoint reports whether endpoint is one of AWS's own (such as a
// VPC endpoint, s3.eu-west-1.amazonaws.com or a dual-stack name), where
// instance roles are honoured.
func isAWSEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	for _, d := range []string{"amazonaws.com", "amazonaws.com.cn", "api.aws"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return false
}

// markedCredentials marks the errors of a credentials provider as
// [credentialsError], so that a request that was never sent for want of
// credentials can be told from one the server refused. The S3 client
// caches what it returns.
type markedCredentials struct{ aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &credentialsError{err}
	}
	return c, nil
}

// credentialsError is a failure to get credentials.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// needsPathStyle reports whether an endpoint cannot have bucket subdomains.
func needsPathStyle(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || endpoint == "" {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || net.ParseIP(h) != nil
}
