/**
 * What an AWS SDK failure means for someone at a terminal, in one line with what to do; undefined
 * for an error that is not the SDK's. The CLI reaches AWS only for the DynamoDB state table.
 */
export function describeAwsError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const name = error.name;
  const message = error.message;
  const local = "(or --state FILE for a local state file)";
  if (/^Region is missing/.test(message))
    return `no AWS region for the DynamoDB state table: set AWS_REGION (e.g. cn-north-1) or AWS_PROFILE with a region ${local}`;
  if (name === "CredentialsProviderError" || /Could not load credentials/.test(message))
    return `no AWS credentials for the DynamoDB state table: set AWS_PROFILE (aws configure, aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ${local}`;
  if (/^(ExpiredToken|ExpiredTokenException|TokenRefreshRequired)$/.test(name))
    return `the AWS session has expired: log in again (aws sso login, or fresh keys) (${name})`;
  if (/^(UnrecognizedClientException|InvalidSignatureException|InvalidClientTokenId)$/.test(name))
    return `AWS does not accept these credentials in this region (${name}): check AWS_PROFILE and AWS_REGION (China regions need China-partition keys)`;
  if (name === "AccessDeniedException") return `AWS refused access to the DynamoDB state table: ${message}`;
  if (name === "ResourceNotFoundException")
    return `the DynamoDB state table does not exist in this region: deploy the stage first, or check QFHK_STATE_TABLE / state.table and AWS_REGION (${message})`;
  return undefined;
}
