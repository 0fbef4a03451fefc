using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

/// <summary>A request and the same request with its consents in another order.</summary>
public sealed record ShuffledCase(AccessRequest Request, AccessRequest Shuffled)
{
    public override string ToString() => $"original: {Requests.Describe(Request)}{Environment.NewLine}shuffled: {Requests.Describe(Shuffled)}";
}
