using Hipaa.Policy;

namespace Hipaa.Cli.Policy;

/// <summary>One conformance scenario: an access request and the outcome the law and the default catalog expect.</summary>
internal sealed record Scenario(string Name, AccessRequest Request, AccessOutcome ExpectedOutcome, IReadOnlySet<Obligation> ExpectedObligations);
