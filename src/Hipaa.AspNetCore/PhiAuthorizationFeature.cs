using Hipaa.Policy;

namespace Hipaa.AspNetCore;

/// <summary>
/// The PHI checks made so far in a request, oldest first, in <c>HttpContext.Features</c>. The endpoint reads the outcome of
/// its category policy or resource check here (<c>HttpContext.GetPhiAuthorization()</c>) to fulfil the obligations.
/// </summary>
/// <remarks>Thread-safe: an endpoint may make several checks in parallel.</remarks>
public sealed class PhiAuthorizationFeature
{
    private readonly Lock _lock = new();
    private readonly List<PhiAuthorizationResult> _results = [];

    /// <summary>Every check of the request, oldest first.</summary>
    public IReadOnlyList<PhiAuthorizationResult> Results
    {
        get
        {
            lock (_lock)
            {
                return [.. _results];
            }
        }
    }

    /// <summary>The latest check, or <see langword="null"/> when none was made.</summary>
    public PhiAuthorizationResult? Last
    {
        get
        {
            lock (_lock)
            {
                return _results.Count == 0 ? null : _results[^1];
            }
        }
    }

    /// <summary>The obligations of every permitted check of the request, each once, in <see cref="Obligation"/> order.</summary>
    public IReadOnlyList<Obligation> Obligations
    {
        get
        {
            lock (_lock)
            {
                return [.. _results.Where(r => r.Succeeded).SelectMany(r => r.Obligations).Distinct().Order()];
            }
        }
    }

    internal void Add(PhiAuthorizationResult result)
    {
        lock (_lock)
        {
            _results.Add(result);
        }
    }
}
