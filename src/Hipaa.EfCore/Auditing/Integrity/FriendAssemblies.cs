using System.Runtime.CompilerServices;

// The `hipaa audit` command group (tools/Hipaa.Cli) drives the sealer, the verifier and the reports through their internal
// types, as Hipaa.Abstractions already lets it do for the policy engine; its tests seed the audit tables directly.
[assembly: InternalsVisibleTo("Hipaa.Cli")]
[assembly: InternalsVisibleTo("Hipaa.Cli.Tests")]
