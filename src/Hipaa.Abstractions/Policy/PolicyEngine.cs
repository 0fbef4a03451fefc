using System.Numerics;

namespace Hipaa.Policy;

/// <summary>
/// Decides access requests: deny by default, deny overrides permit, every decision explained by the rules that made it.
/// The legal rules (identity, patient access, psychotherapy and SUD counseling notes, break-the-glass, Part 2 and HIPAA
/// disclosures) are fixed; the role matrix comes from a <see cref="RoleCatalog"/>. docs/policy.md lists every rule.
/// </summary>
/// <remarks>
/// <see cref="Decide(AccessRequest)"/> is pure (the same request gives the same decision; nothing is read from the clock,
/// the environment or the order of consents) and thread-safe: the engine holds an immutable snapshot of its catalog.
/// </remarks>
public sealed class PolicyEngine
{
    private static readonly Lazy<PolicyEngine> s_default = new(() => new PolicyEngine(RoleCatalog.CreateDefault()));

    private readonly CompiledCatalog _catalog;

    /// <summary>Creates an engine over a snapshot of <paramref name="catalog"/>; later changes to the catalog do not reach it.</summary>
    /// <param name="catalog">The role matrix.</param>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">The catalog has problems (<see cref="RoleCatalog.Validate"/>); the message lists each.</exception>
    public PolicyEngine(RoleCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        IReadOnlyList<string> problems = catalog.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The role catalog has {problems.Count} problem(s); fix them before starting the policy engine:{Environment.NewLine}- "
                + string.Join(Environment.NewLine + "- ", problems));
        }

        _catalog = catalog.Compile();
    }

    /// <summary>The engine over the default behavioral-health catalog (<see cref="RoleCatalog.CreateDefault"/>).</summary>
    public static PolicyEngine Default => s_default.Value;

    /// <summary>Every rule of the engine, with its stable id, citation and explanation, in evaluation order.</summary>
    public static IReadOnlyList<PolicyRule> Rules => PolicyRules.All;

    /// <summary>Decides a request.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The decision, with its obligations and reasons. Never throws for a well-formed request, whatever it asks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The request is malformed: no actor, no patient, no category, an undefined action, no purpose.</exception>
    public AccessDecision Decide(AccessRequest request)
    {
        var decision = DecideCore(request);
        Diagnostics.CoreTelemetry.RecordDecision(decision.Outcome, request.Action);
        return decision;
    }

    private AccessDecision DecideCore(AccessRequest request)
    {
        ValidateRequest(request);
        Actor actor = request.Actor;

        // Rule 1: a unique user.
        if (!actor.IsIdentified)
        {
            return DecisionTable.Deny(PolicyRules.UniqueUser);
        }

        if (actor.IsShared)
        {
            return DecisionTable.Deny(PolicyRules.SharedAccount);
        }

        // Rule 1b: key maintenance rewrites the stored form only; the purpose decides, not the role matrix.
        if (request.Action == PhiAction.Reencrypt)
        {
            return request.Purpose == PurposeOfUse.SystemAdministration
                ? DecisionTable.Permit(PolicyRules.MaintenanceReencrypt, ObligationSet.None, null, null)
                : DecisionTable.Deny(PolicyRules.MaintenancePurposeRequired);
        }

        // Rule 2: only the roles that may act for this purpose (with this action) take part.
        ulong active = ActiveRoles(request);
        if (active == 0)
        {
            return DecisionTable.Deny(PolicyRules.PurposeRoleFit);
        }

        // Rule 3: the patient's own record.
        ulong patientRoles = active & _catalog.PatientRoles;
        if (patientRoles != 0)
        {
            AccessDecision patientDecision = DecidePatientAccess(request, patientRoles);
            active &= ~patientRoles;
            if (patientDecision.IsPermitted || active == 0)
            {
                return patientDecision;
            }
        }

        // Rule 4: psychotherapy notes and SUD counseling notes.
        if (request.Category.IsSeparatelyKeptNote)
        {
            return DecideSeparatelyKeptNote(request, active);
        }

        // Rule 5: break-the-glass.
        bool breakGlass = request.Purpose == PurposeOfUse.EmergencyTreatment;
        if (breakGlass)
        {
            if (string.IsNullOrWhiteSpace(request.BreakGlassReason))
            {
                return DecisionTable.Deny(PolicyRules.BreakGlassReasonRequired);
            }

            if ((active & _catalog.ClinicalRoles) == 0)
            {
                return DecisionTable.Deny(PolicyRules.BreakGlassClinicalRoleRequired);
            }
        }

        // Rule 6: the role matrix, with the care team for clinical roles.
        if (!_catalog.Categories.Contains(request.Category))
        {
            return DecisionTable.Deny(PolicyRules.UnknownCategory);
        }

        MatrixResult matrix = EvaluateMatrix(request, active, breakGlass, out FieldMask? mask);
        if (matrix == MatrixResult.CareTeamMissing)
        {
            return DecisionTable.Deny(PolicyRules.CareTeamRequired);
        }

        if (matrix == MatrixResult.NotGranted)
        {
            return DecisionTable.Deny(PolicyRules.NotPermitted);
        }

        ObligationSet obligations = breakGlass ? ObligationSet.BreakGlassReview : ObligationSet.None;
        if (mask is not null && request.Action != PhiAction.Create && request.Action != PhiAction.Update && request.Action != PhiAction.Delete)
        {
            obligations |= ObligationSet.MaskFields;
        }
        else
        {
            mask = null;
        }

        if (!IsOutsidePractice(request))
        {
            PolicyRule rule = matrix == MatrixResult.GrantedByBreakGlass ? PolicyRules.BreakGlassEmergencyAccess : PolicyRules.RolePermission;
            return DecisionTable.Permit(rule, obligations, mask, null);
        }

        // Rule 7: disclosures outside the practice.
        return DecideDisclosure(request, breakGlass, obligations | ObligationSet.AccountDisclosure, mask);
    }

    private static void ValidateRequest(AccessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Actor is null)
        {
            throw new ArgumentException("The request has no actor; set AccessRequest.Actor (an unidentified principal is an Actor with a null id).", nameof(request));
        }

        if (string.IsNullOrWhiteSpace(request.PatientId))
        {
            throw new ArgumentException("The request names no patient; set AccessRequest.PatientId to the patient the record belongs to.", nameof(request));
        }

        if (request.Category.IsEmpty || request.Category == DataCategory.All)
        {
            throw new ArgumentException("The request has no data category; set AccessRequest.Category to the record's category (the wildcard \"*\" belongs in consents only).", nameof(request));
        }

        if (!ActionBits.IsDefined(request.Action) && request.Action != PhiAction.Reencrypt)
        {
            throw new ArgumentException($"AccessRequest.Action is {(int)request.Action}, which is not a defined PhiAction.", nameof(request));
        }

        if (request.Purpose.IsEmpty)
        {
            throw new ArgumentException("The request has no purpose of use; set AccessRequest.Purpose to an HL7 purpose-of-use code.", nameof(request));
        }

        if (request.Labels is null || request.Consents is null)
        {
            throw new ArgumentException("AccessRequest.Labels and AccessRequest.Consents must not be null; leave them unset for none.", nameof(request));
        }
    }

    private static bool IsPart2Record(AccessRequest request)
    {
        IReadOnlyList<SensitivityLabel> labels = request.Labels;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] == SensitivityLabel.SubstanceUseDisorder)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTreatmentPaymentOrOperations(PurposeOfUse purpose) =>
        purpose == PurposeOfUse.Treatment || purpose == PurposeOfUse.Payment || purpose == PurposeOfUse.Operations;

    /// <summary>
    /// The valid consent of <paramref name="kind"/> of this patient that covers the recipient, purpose and category;
    /// the ordinally smallest id when several do, so that the order of consents never matters.
    /// </summary>
    private static Consent? FindConsent(AccessRequest request, ConsentKind kind, string? recipient)
    {
        Consent? found = null;
        IReadOnlyList<Consent> consents = request.Consents;
        for (int i = 0; i < consents.Count; i++)
        {
            Consent consent = consents[i]
                ?? throw new ArgumentException("AccessRequest.Consents contains a null entry.", nameof(request));
            if (consent.Kind == kind
                && string.Equals(consent.PatientId, request.PatientId, StringComparison.Ordinal)
                && consent.IsValidAt(request.At)
                && consent.Covers(recipient, request.Purpose, request.Category)
                && (found is null || string.CompareOrdinal(consent.Id, found.Id) < 0))
            {
                found = consent;
            }
        }

        return found;
    }

    private bool IsOutsidePractice(AccessRequest request) =>
        ActionBits.IsDisclosure(request.Action)
        && !string.IsNullOrWhiteSpace(request.Recipient)
        && !string.Equals(request.Recipient, _catalog.PracticeOrganization, StringComparison.Ordinal);

    private ulong ActiveRoles(AccessRequest request)
    {
        ulong active = 0;
        IReadOnlyList<string> roles = request.Actor.Roles;
        for (int i = 0; i < roles.Count; i++)
        {
            CompiledRole? role = _catalog.Find(roles[i]);
            if (role is not null && role.AllowsPurpose(request.Purpose, request.Action))
            {
                active |= 1UL << role.Index;
            }
        }

        return active;
    }

    private bool AnyGrant(ulong roles, AccessRequest request)
    {
        for (ulong remaining = roles; remaining != 0; remaining &= remaining - 1)
        {
            CompiledRole role = _catalog.ByIndex[BitOperations.TrailingZeroCount(remaining)];
            if (role.GrantOn(request.Category)?.Allows(request.Action, request.Purpose) == true)
            {
                return true;
            }
        }

        return false;
    }

    private AccessDecision DecidePatientAccess(AccessRequest request, ulong patientRoles)
    {
        // The patient's own record, or that of a patient whose personal representative the actor is (164.502(g)).
        bool own = string.Equals(request.PatientId, request.Actor.Id, StringComparison.Ordinal);
        if (!own && !request.Actor.IsRepresentativeOf(request.PatientId))
        {
            return DecisionTable.Deny(PolicyRules.PatientOwnRecordOnly);
        }

        if (request.Category.IsSeparatelyKeptNote)
        {
            return DecisionTable.Deny(PolicyRules.PatientNotesExcluded);
        }

        if (request.Action != PhiAction.Read)
        {
            return DecisionTable.Deny(PolicyRules.PatientReadOnly);
        }

        var masks = new MaskAccumulator();
        for (ulong remaining = patientRoles; remaining != 0; remaining &= remaining - 1)
        {
            CompiledGrant? grant = _catalog.ByIndex[BitOperations.TrailingZeroCount(remaining)].GrantOn(request.Category);
            if (grant is not null && grant.Allows(PhiAction.Read, request.Purpose))
            {
                masks.Add(grant.Mask);
            }
        }

        if (!masks.Granted)
        {
            return DecisionTable.Deny(PolicyRules.PatientCategoryNotAvailable);
        }

        FieldMask? mask = masks.Result;
        return DecisionTable.Permit(
            own ? PolicyRules.PatientRightOfAccess : PolicyRules.PatientPersonalRepresentative,
            mask is null ? ObligationSet.None : ObligationSet.MaskFields,
            mask,
            null);
    }

    private AccessDecision DecideSeparatelyKeptNote(AccessRequest request, ulong active)
    {
        PhiAction action = request.Action;
        PurposeOfUse purpose = request.Purpose;
        if (action == PhiAction.Delete)
        {
            return DecisionTable.Deny(PolicyRules.NotesNoDelete);
        }

        if (purpose == PurposeOfUse.EmergencyTreatment)
        {
            return DecisionTable.Deny(PolicyRules.NotesNoBreakGlass);
        }

        if ((active & _catalog.ExcludedFromNotesRoles) != 0)
        {
            return DecisionTable.Deny(PolicyRules.NotesNeverBilling);
        }

        // The author's own treatment use: no care-team check. A note being created without an author is the actor's own.
        bool isAuthor = request.AuthorId is null
            ? action == PhiAction.Create
            : string.Equals(request.AuthorId, request.Actor.Id, StringComparison.Ordinal);
        if (isAuthor
            && action is PhiAction.Read or PhiAction.Create or PhiAction.Update
            && (purpose == PurposeOfUse.Treatment || purpose == PurposeOfUse.CoordinationOfCare)
            && AnyGrant(active, request))
        {
            return DecisionTable.Permit(PolicyRules.NotesAuthorUse, ObligationSet.None, null, null);
        }

        // Supervised training: a role of the supervisor's kind that takes part with HTRAIN, not any role a practice allows HTRAIN.
        if (action == PhiAction.Read && purpose == PurposeOfUse.Training && (active & _catalog.TrainingSupervisorRoles) != 0)
        {
            return DecisionTable.Permit(PolicyRules.NotesSupervisedTraining, ObligationSet.None, null, null);
        }

        bool disclosure = ActionBits.IsDisclosure(action);
        bool outside = IsOutsidePractice(request);
        ObligationSet obligations = outside ? ObligationSet.AccountDisclosure : ObligationSet.None;
        if (disclosure
            && purpose == PurposeOfUse.Oversight
            && (active & _catalog.ComplianceOfficerRoles) != 0
            && string.Equals(request.Recipient, _catalog.OversightRecipient, StringComparison.Ordinal))
        {
            return DecisionTable.Permit(PolicyRules.NotesOversight, obligations, null, null);
        }

        if (action == PhiAction.Read || disclosure)
        {
            // Each note opens under its own kind of consent only: a psychotherapy note under a psychotherapy authorization
            // (164.508(a)(2)), an SUD counseling note under the separate consent 42 CFR 2.31(b) requires. No other kind —
            // not Part2, Part2Tpo or HipaaAuthorization, nor the one meant for the other note — opens either.
            bool sudNote = request.Category == DataCategory.SudCounselingNote;
            string? receiving = disclosure && !string.IsNullOrWhiteSpace(request.Recipient) ? request.Recipient : request.Actor.Organization;
            Consent? authorization = FindConsent(request, sudNote ? ConsentKind.SudCounselingNoteConsent : ConsentKind.PsychotherapyAuthorization, receiving);
            if (authorization is not null)
            {
                if (sudNote && outside && IsPart2Record(request))
                {
                    obligations |= ObligationSet.RedisclosureNotice;
                }

                return DecisionTable.Permit(PolicyRules.NotesAuthorization, obligations, null, authorization.Id);
            }
        }

        return DecisionTable.Deny(PolicyRules.NotesAuthorizationRequired);
    }

    private MatrixResult EvaluateMatrix(AccessRequest request, ulong active, bool breakGlass, out FieldMask? mask)
    {
        var granted = new MaskAccumulator();
        bool neededBreakGlass = false;
        bool careTeamMissing = false;
        bool? onCareTeam = null;
        for (ulong remaining = active; remaining != 0; remaining &= remaining - 1)
        {
            CompiledRole role = _catalog.ByIndex[BitOperations.TrailingZeroCount(remaining)];
            CompiledGrant? grant = role.GrantOn(request.Category);
            if (grant is null || !grant.Allows(request.Action, request.Purpose))
            {
                continue;
            }

            if (role.RequiresCareTeam && !(onCareTeam ??= request.Actor.IsOnCareTeamOf(request.PatientId)))
            {
                if (!breakGlass)
                {
                    careTeamMissing = true;
                    continue;
                }

                neededBreakGlass = true;
            }

            granted.Add(grant.Mask);
        }

        // Break-the-glass also opens, for reading, every category some clinical role may read.
        if (!granted.Granted && breakGlass && request.Action == PhiAction.Read && _catalog.ClinicallyReadable.Contains(request.Category))
        {
            granted.Add(null);
            neededBreakGlass = true;
        }

        mask = granted.Result;
        if (granted.Granted)
        {
            return neededBreakGlass ? MatrixResult.GrantedByBreakGlass : MatrixResult.Granted;
        }

        return careTeamMissing ? MatrixResult.CareTeamMissing : MatrixResult.NotGranted;
    }

    private AccessDecision DecideDisclosure(AccessRequest request, bool breakGlass, ObligationSet obligations, FieldMask? mask)
    {
        PurposeOfUse purpose = request.Purpose;
        string? recipient = request.Recipient;
        if (IsPart2Record(request))
        {
            // 42 CFR Part 2: a consent naming recipient, purpose and category; a 2.64 order; or a 2.51 emergency.
            ObligationSet withNotice = obligations | ObligationSet.RedisclosureNotice;
            Consent? consent = FindConsent(request, ConsentKind.Part2, recipient);
            if (consent is not null)
            {
                return DecisionTable.Permit(PolicyRules.Part2Consent, withNotice, mask, consent.Id);
            }

            consent = IsTreatmentPaymentOrOperations(purpose) ? FindConsent(request, ConsentKind.Part2Tpo, recipient) : null;
            if (consent is not null)
            {
                return DecisionTable.Permit(PolicyRules.Part2TpoConsent, withNotice, mask, consent.Id);
            }

            if (purpose == PurposeOfUse.Legal
                && request.CourtOrder is { Kind: CourtOrderKind.Part2 } order
                && order.CoversLabel(SensitivityLabel.SubstanceUseDisorder))
            {
                return DecisionTable.Permit(PolicyRules.Part2CourtOrder, withNotice, mask, null);
            }

            return breakGlass
                ? DecisionTable.Permit(PolicyRules.Part2Emergency, obligations, mask, null)
                : DecisionTable.Deny(PolicyRules.Part2ConsentRequired);
        }

        // HIPAA: treatment, payment and operations need no authorization (emergency treatment is treatment).
        if (IsTreatmentPaymentOrOperations(purpose) || purpose == PurposeOfUse.CoordinationOfCare || breakGlass)
        {
            return DecisionTable.Permit(PolicyRules.TreatmentPaymentOperations, obligations, mask, null);
        }

        if (purpose == PurposeOfUse.Legal && request.CourtOrder is not null)
        {
            return DecisionTable.Permit(PolicyRules.Judicial, obligations, mask, null);
        }

        if (purpose == PurposeOfUse.Oversight && string.Equals(recipient, _catalog.OversightRecipient, StringComparison.Ordinal))
        {
            return DecisionTable.Permit(PolicyRules.Oversight, obligations, mask, null);
        }

        Consent? authorization = FindConsent(request, ConsentKind.HipaaAuthorization, recipient);
        return authorization is not null
            ? DecisionTable.Permit(PolicyRules.HipaaAuthorization, obligations, mask, authorization.Id)
            : DecisionTable.Deny(PolicyRules.AuthorizationRequired);
    }

    private enum MatrixResult
    {
        NotGranted,
        CareTeamMissing,
        Granted,
        GrantedByBreakGlass,
    }

    /// <summary>Whether any role granted, and the union of their masks (none when any granting role sees every field).</summary>
    private struct MaskAccumulator
    {
        private FieldMask? _mask;
        private bool _unmasked;

        public bool Granted { get; private set; }

        public readonly FieldMask? Result => _unmasked ? null : _mask;

        public void Add(FieldMask? mask)
        {
            Granted = true;
            if (mask is null)
            {
                _unmasked = true;
            }
            else
            {
                _mask = _mask is null ? mask : _mask.Union(mask);
            }
        }
    }
}
