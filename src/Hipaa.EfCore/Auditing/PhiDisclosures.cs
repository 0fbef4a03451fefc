using Hipaa.EfCore.Auditing;
using Hipaa.Policy;

namespace Hipaa.Auditing;

/// <summary>
/// Decides a disclosure of PHI to a recipient outside the practice and enters it in the disclosure log (the audit trail)
/// behind the accounting of disclosures (45 CFR 164.528) and the 42 CFR Part 2 list of disclosures (§2.24). Resolve it
/// from DI; it needs <c>AddQueryAuditing()</c>.
/// </summary>
public sealed class PhiDisclosures
{
    private readonly AuditRuntime _audit;
    private readonly PolicyEngine _engine;
    private readonly IConsentStore? _consents;
    private readonly TimeProvider _time;

    internal PhiDisclosures(AuditRuntime audit, PolicyEngine engine, IConsentStore? consents, TimeProvider time)
    {
        _audit = audit;
        _engine = engine;
        _consents = consents;
        _time = time;
    }

    /// <summary>
    /// Decides the disclosure for the ambient <see cref="AccessContext"/> and records it — permitted or denied — before
    /// returning. On a permit, honour the decision's obligations: <see cref="Obligation.RedisclosureNotice"/> means the
    /// 42 CFR 2.32 notice must accompany the records. Nothing is disclosed by this method; it decides and records.
    /// </summary>
    /// <param name="request">What is disclosed, to whom.</param>
    /// <param name="cancellationToken">Cancels the wait for the consents and the audit store.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="InvalidOperationException">No access context is set.</exception>
    /// <exception cref="AuditUnavailableException">The disclosure could not be recorded; do not disclose.</exception>
    public async Task<AccessDecision> DecideAndRecordAsync(DisclosureRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.PatientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Recipient);
        if (request.Action is not (PhiAction.Disclose or PhiAction.Export))
        {
            throw new ArgumentException($"A disclosure's action is Disclose or Export, not {request.Action}.", nameof(request));
        }

        var access = AuditRuntime.RequireContext("A disclosure");
        var consents = _consents is null ? [] : await _consents.ListAsync(request.PatientId, cancellationToken).ConfigureAwait(false);
        var decision = _engine.Decide(new AccessRequest
        {
            Actor = access.Actor,
            PatientId = request.PatientId,
            Category = request.Category,
            Labels = request.Labels,
            Action = request.Action,
            Purpose = access.PurposeOfUse,
            Recipient = request.Recipient,
            BreakGlassReason = access.BreakGlassReason,
            Consents = consents,
            CourtOrder = request.CourtOrder,
            At = _time.GetUtcNow(),
        });

        var record = _audit.NewEntry(access, request.Action == PhiAction.Export ? AuditAction.Export : AuditAction.Disclose, request.Category.Name, request.PatientId);
        record.Outcome = decision.IsPermitted ? AuditOutcome.Success : AuditOutcome.Denied;
        record.Categories = request.Category.Name;
        record.Labels = string.Join(AuditEntry.ListSeparator, request.Labels.Select(l => l.Code));
        record.Recipient = request.Recipient;
        record.Description = request.Description;
        record.RecordKeys = string.Join(AuditEntry.ListSeparator, request.RecordKeys);
        record.RowCount = request.RecordKeys.Count;
        record.Decision = AuditRuntime.Describe(decision);
        await _audit.Writer.AppendAsync([record]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return decision;
    }
}
