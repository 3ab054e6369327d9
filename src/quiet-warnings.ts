// Imported first by the entry points. The AWS SDK warns on every start that its releases after
// January 2027 need Node 22; the agent supports Node 20 and pins its SDK, so that warning is
// noise on an on-call engineer's terminal. The SDK's own switch turns it off; a user who sets
// the variable keeps their choice.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
