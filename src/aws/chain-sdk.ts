// The SDK clients of the hub-and-spoke chain, in a module of their own that src/aws/chain-clients.ts
// imports on first use. Named imports here, not import('@aws-sdk/client-…') there: a dynamic
// import of a package keeps every command it exports in the bundle; these keep the client alone.
export { Route53Client } from '@aws-sdk/client-route-53';
export { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
export { STSClient } from '@aws-sdk/client-sts';
