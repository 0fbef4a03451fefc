using System.Globalization;

namespace Hipaa.Policy;

/// <summary>
/// The practice's role matrix: which roles exist and what kind they are, which purposes of use each role may act for,
/// and which actions each role may take on each data category (optionally only for some purposes, optionally behind a
/// field mask). <see cref="CreateDefault"/> is the behavioral-health default of docs/policy.md; change it in code, then
/// hand it to <see cref="PolicyEngine(RoleCatalog)"/>, which validates it and takes a snapshot.
/// </summary>
/// <remarks>
/// <para>
/// A catalog is a configuration object: mutate it at start-up from one thread. Methods reject malformed arguments at
/// once; references to roles or categories that are not defined are reported together by <see cref="Validate"/>, so
/// that a catalog built from configuration fails at start-up with every problem listed.
/// </para>
/// <para>
/// The legal rules (unique user, patient access, psychotherapy and SUD counseling notes, break-the-glass, Part 2 and
/// HIPAA disclosure rules) are not in the catalog: the engine applies them to every catalog.
/// </para>
/// </remarks>
public sealed class RoleCatalog
{
    /// <summary>The most roles a catalog may define.</summary>
    public const int MaxRoles = 64;

    private const RoleTraits AllTraits = RoleTraits.Clinical | RoleTraits.RequiresCareTeam | RoleTraits.Patient | RoleTraits.ExcludedFromNotes
        | RoleTraits.TrainingSupervisor | RoleTraits.ComplianceOfficer;

    private readonly Dictionary<string, RoleTraits> _roles = new(StringComparer.Ordinal);
    private readonly HashSet<DataCategory> _categories = [];
    private readonly Dictionary<string, Dictionary<PurposeOfUse, int>> _purposes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Role, DataCategory Category), GrantCell> _grants = [];
    private readonly Dictionary<(string Role, DataCategory Category), FieldMask> _masks = [];

    /// <summary>
    /// The practice's own organization id: a disclosure to it (or to no recipient) is an internal use and no disclosure
    /// outside the practice. Default <c>"practice"</c>.
    /// </summary>
    public string PracticeOrganization { get; set; } = "practice";

    /// <summary>The recipient id of the Department of Health and Human Services for oversight disclosures. Default <c>"HHS"</c>.</summary>
    public string OversightRecipient { get; set; } = "HHS";

    /// <summary>The defined roles.</summary>
    public IReadOnlyCollection<string> Roles => _roles.Keys;

    /// <summary>The defined data categories.</summary>
    public IReadOnlyCollection<DataCategory> Categories => _categories;

    /// <summary>
    /// Creates the default behavioral-health catalog: the nine roles of <see cref="WellKnownRoles"/>, the twelve
    /// categories of <see cref="DataCategory"/>, and the matrix of docs/policy.md. Each call returns a new instance.
    /// </summary>
    /// <returns>A new catalog the caller may change.</returns>
    public static RoleCatalog CreateDefault()
    {
        var catalog = new RoleCatalog();
        DataCategory[] categories =
        [
            DataCategory.Demographics, DataCategory.Appointment, DataCategory.ProgressNote, DataCategory.PsychotherapyNote,
            DataCategory.SudCounselingNote, DataCategory.Medication, DataCategory.Diagnosis, DataCategory.TreatmentPlan,
            DataCategory.LabResult, DataCategory.Claim, DataCategory.Consent, DataCategory.AuditLog,
        ];
        foreach (DataCategory category in categories)
        {
            catalog.DefineCategory(category);
        }

        const RoleTraits clinical = RoleTraits.Clinical | RoleTraits.RequiresCareTeam;
        string[] clinicians = [WellKnownRoles.Therapist, WellKnownRoles.Psychiatrist, WellKnownRoles.Nurse, WellKnownRoles.ClinicalSupervisor];
        foreach (string role in clinicians)
        {
            catalog.DefineRole(role, clinical)
                .AllowPurpose(role, PurposeOfUse.Treatment)
                .AllowPurpose(role, PurposeOfUse.CoordinationOfCare)
                .AllowPurpose(role, PurposeOfUse.EmergencyTreatment)
                .AllowPurpose(role, PurposeOfUse.Research, PhiAction.Disclose, PhiAction.Export);
        }

        catalog.DefineRole(WellKnownRoles.ClinicalSupervisor, clinical | RoleTraits.TrainingSupervisor)
            .AllowPurpose(WellKnownRoles.ClinicalSupervisor, PurposeOfUse.Training);
        catalog.DefineRole(WellKnownRoles.Billing, RoleTraits.ExcludedFromNotes)
            .AllowPurpose(WellKnownRoles.Billing, PurposeOfUse.Payment)
            .AllowPurpose(WellKnownRoles.Billing, PurposeOfUse.Operations);
        catalog.DefineRole(WellKnownRoles.FrontDesk)
            .AllowPurpose(WellKnownRoles.FrontDesk, PurposeOfUse.Operations)
            .AllowPurpose(WellKnownRoles.FrontDesk, PurposeOfUse.Treatment);
        catalog.DefineRole(WellKnownRoles.ComplianceOfficer, RoleTraits.ComplianceOfficer)
            .AllowPurpose(WellKnownRoles.ComplianceOfficer, PurposeOfUse.Operations)
            .AllowPurpose(WellKnownRoles.ComplianceOfficer, PurposeOfUse.Oversight)
            .AllowPurpose(WellKnownRoles.ComplianceOfficer, PurposeOfUse.Legal);
        catalog.DefineRole(WellKnownRoles.Patient, RoleTraits.Patient)
            .AllowPurpose(WellKnownRoles.Patient, PurposeOfUse.PatientRequest);
        catalog.DefineRole(WellKnownRoles.ExternalProvider);

        // The matrix of conformance/README.md: R read, W create+update, D delete, X disclose+export, "author" = R+W on
        // a separately kept note, which the engine allows to the note's author only.
        (string Role, DataCategory Category, string Cell)[] matrix =
        [
            (WellKnownRoles.Therapist, DataCategory.Demographics, "R"),
            (WellKnownRoles.Therapist, DataCategory.Appointment, "RW"),
            (WellKnownRoles.Therapist, DataCategory.ProgressNote, "RWX"),
            (WellKnownRoles.Therapist, DataCategory.PsychotherapyNote, "RW"),
            (WellKnownRoles.Therapist, DataCategory.SudCounselingNote, "RW"),
            (WellKnownRoles.Therapist, DataCategory.Diagnosis, "RWX"),
            (WellKnownRoles.Therapist, DataCategory.TreatmentPlan, "RWX"),
            (WellKnownRoles.Therapist, DataCategory.Consent, "RW"),

            (WellKnownRoles.Psychiatrist, DataCategory.Demographics, "R"),
            (WellKnownRoles.Psychiatrist, DataCategory.Appointment, "RW"),
            (WellKnownRoles.Psychiatrist, DataCategory.ProgressNote, "RWX"),
            (WellKnownRoles.Psychiatrist, DataCategory.PsychotherapyNote, "RW"),
            (WellKnownRoles.Psychiatrist, DataCategory.SudCounselingNote, "RW"),
            (WellKnownRoles.Psychiatrist, DataCategory.Medication, "RWX"),
            (WellKnownRoles.Psychiatrist, DataCategory.Diagnosis, "RWX"),
            (WellKnownRoles.Psychiatrist, DataCategory.TreatmentPlan, "RWX"),
            (WellKnownRoles.Psychiatrist, DataCategory.LabResult, "RWX"),
            (WellKnownRoles.Psychiatrist, DataCategory.Consent, "RW"),

            (WellKnownRoles.Nurse, DataCategory.Demographics, "R"),
            (WellKnownRoles.Nurse, DataCategory.Appointment, "R"),
            (WellKnownRoles.Nurse, DataCategory.ProgressNote, "R"),
            (WellKnownRoles.Nurse, DataCategory.Medication, "R"),
            (WellKnownRoles.Nurse, DataCategory.Diagnosis, "R"),
            (WellKnownRoles.Nurse, DataCategory.TreatmentPlan, "R"),
            (WellKnownRoles.Nurse, DataCategory.LabResult, "RW"),
            (WellKnownRoles.Nurse, DataCategory.Consent, "R"),

            (WellKnownRoles.ClinicalSupervisor, DataCategory.Demographics, "R"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.Appointment, "R"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.ProgressNote, "RX"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.PsychotherapyNote, "RW"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.SudCounselingNote, "RW"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.Diagnosis, "R"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.TreatmentPlan, "RW"),
            (WellKnownRoles.ClinicalSupervisor, DataCategory.Consent, "R"),

            (WellKnownRoles.Billing, DataCategory.Demographics, "R"),
            (WellKnownRoles.Billing, DataCategory.Appointment, "R"),
            (WellKnownRoles.Billing, DataCategory.Diagnosis, "RX"),
            (WellKnownRoles.Billing, DataCategory.Claim, "RWX"),
            (WellKnownRoles.Billing, DataCategory.Consent, "R"),

            (WellKnownRoles.FrontDesk, DataCategory.Demographics, "RW"),
            (WellKnownRoles.FrontDesk, DataCategory.Appointment, "RWD"),
            (WellKnownRoles.FrontDesk, DataCategory.Consent, "RW"),

            (WellKnownRoles.ComplianceOfficer, DataCategory.Demographics, "R"),
            (WellKnownRoles.ComplianceOfficer, DataCategory.Consent, "R"),
            (WellKnownRoles.ComplianceOfficer, DataCategory.AuditLog, "RX"),
        ];
        foreach ((string role, DataCategory category, string cell) in matrix)
        {
            catalog.Grant(role, category, ParseCell(cell));
        }

        // X*: the compliance officer discloses any category (the notes excepted, which rule notes.* governs), but only
        // to answer courts (HLEGAL) and HHS (HOVERSIGHT).
        PurposeOfUse[] courtsAndHhs = [PurposeOfUse.Legal, PurposeOfUse.Oversight];
        foreach (DataCategory category in categories)
        {
            if (!category.IsSeparatelyKeptNote && category != DataCategory.AuditLog)
            {
                catalog.GrantForPurposes(WellKnownRoles.ComplianceOfficer, category, courtsAndHhs, PhiAction.Disclose, PhiAction.Export);
            }
        }

        // The patient reads their own record, the separately kept notes and the audit log excepted.
        foreach (DataCategory category in categories)
        {
            if (!category.IsSeparatelyKeptNote && category != DataCategory.AuditLog)
            {
                catalog.Grant(WellKnownRoles.Patient, category, PhiAction.Read);
            }
        }

        // Minimum necessary: billing sees diagnosis codes, not the narrative.
        catalog.SetFieldMask(WellKnownRoles.Billing, DataCategory.Diagnosis, FieldMask.Only("Code", "CodeSystem", "Display"));
        return catalog;
    }

    /// <summary>Defines a role, or changes the traits of a defined one.</summary>
    /// <param name="role">The role's name, as it appears in <see cref="Actor.Roles"/>.</param>
    /// <param name="traits">What kind of role it is.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException"><paramref name="role"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="traits"/> has undefined bits.</exception>
    public RoleCatalog DefineRole(string role, RoleTraits traits = RoleTraits.None)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        if ((traits & ~AllTraits) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(traits), traits, "The traits combine values that are not defined RoleTraits flags.");
        }

        _roles[role] = traits;
        return this;
    }

    /// <summary>Removes a role with its purposes, grants and field masks.</summary>
    /// <param name="role">The role's name.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException"><paramref name="role"/> is empty.</exception>
    public RoleCatalog RemoveRole(string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        _roles.Remove(role);
        _purposes.Remove(role);
        foreach ((string Role, DataCategory Category) key in _grants.Keys.Where(k => k.Role == role).ToList())
        {
            _grants.Remove(key);
        }

        foreach ((string Role, DataCategory Category) key in _masks.Keys.Where(k => k.Role == role).ToList())
        {
            _masks.Remove(key);
        }

        return this;
    }

    /// <summary>Defines a data category.</summary>
    /// <param name="category">The category.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException"><paramref name="category"/> is empty or the wildcard <see cref="DataCategory.All"/>.</exception>
    public RoleCatalog DefineCategory(DataCategory category)
    {
        RequireConcrete(category);
        _categories.Add(category);
        return this;
    }

    /// <summary>Lets a role act for a purpose of use, for every action or only for <paramref name="onlyForActions"/>.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="purpose">The purpose of use.</param>
    /// <param name="onlyForActions">The actions the purpose is allowed for; none means every action.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException">The role or the purpose is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An action is not defined.</exception>
    public RoleCatalog AllowPurpose(string role, PurposeOfUse purpose, params IEnumerable<PhiAction> onlyForActions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        RequirePurpose(purpose);
        ArgumentNullException.ThrowIfNull(onlyForActions);
        int bits = ActionBits.Of(onlyForActions, nameof(onlyForActions));
        if (bits == 0)
        {
            bits = ActionBits.All;
        }

        if (!_purposes.TryGetValue(role, out Dictionary<PurposeOfUse, int>? purposes))
        {
            purposes = [];
            _purposes[role] = purposes;
        }

        purposes[purpose] = purposes.GetValueOrDefault(purpose) | bits;
        return this;
    }

    /// <summary>Stops a role from acting for a purpose of use.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="purpose">The purpose of use.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException">The role or the purpose is empty.</exception>
    public RoleCatalog DisallowPurpose(string role, PurposeOfUse purpose)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        RequirePurpose(purpose);
        if (_purposes.TryGetValue(role, out Dictionary<PurposeOfUse, int>? purposes))
        {
            purposes.Remove(purpose);
        }

        return this;
    }

    /// <summary>Grants a role actions on a data category, for every purpose the role may act for.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="category">The data category.</param>
    /// <param name="actions">The actions; at least one.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException">The role or category is empty, the category is the wildcard, or no action is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An action is not defined.</exception>
    public RoleCatalog Grant(string role, DataCategory category, params IEnumerable<PhiAction> actions)
    {
        int bits = CheckGrantArguments(role, category, actions);
        Cell(role, category).Always |= bits;
        return this;
    }

    /// <summary>Grants a role actions on a data category only when it acts for one of <paramref name="purposes"/>.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="category">The data category.</param>
    /// <param name="purposes">The purposes the grant is limited to; at least one.</param>
    /// <param name="actions">The actions; at least one.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException">An argument is empty, or the category is the wildcard.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An action is not defined.</exception>
    public RoleCatalog GrantForPurposes(string role, DataCategory category, IEnumerable<PurposeOfUse> purposes, params IEnumerable<PhiAction> actions)
    {
        ArgumentNullException.ThrowIfNull(purposes);
        int bits = CheckGrantArguments(role, category, actions);
        PurposeOfUse[] purposeArray = [.. purposes];
        if (purposeArray.Length == 0)
        {
            throw new ArgumentException("A purpose-limited grant needs at least one purpose of use; use Grant for every purpose.", nameof(purposes));
        }

        foreach (PurposeOfUse purpose in purposeArray)
        {
            RequirePurpose(purpose);
        }

        GrantCell cell = Cell(role, category);
        foreach (PurposeOfUse purpose in purposeArray)
        {
            cell.ByPurpose[purpose] = cell.ByPurpose.GetValueOrDefault(purpose) | bits;
        }

        return this;
    }

    /// <summary>Takes actions on a data category away from a role, whether granted for every purpose or for some.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="category">The data category.</param>
    /// <param name="actions">The actions; at least one.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException">The role or category is empty, the category is the wildcard, or no action is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An action is not defined.</exception>
    public RoleCatalog Revoke(string role, DataCategory category, params IEnumerable<PhiAction> actions)
    {
        int bits = CheckGrantArguments(role, category, actions);
        if (!_grants.TryGetValue((role, category), out GrantCell? cell))
        {
            return this;
        }

        cell.Always &= ~bits;
        foreach (PurposeOfUse purpose in cell.ByPurpose.Keys.ToList())
        {
            int remaining = cell.ByPurpose[purpose] & ~bits;
            if (remaining == 0)
            {
                cell.ByPurpose.Remove(purpose);
            }
            else
            {
                cell.ByPurpose[purpose] = remaining;
            }
        }

        if (cell.Always == 0 && cell.ByPurpose.Count == 0)
        {
            _grants.Remove((role, category));
        }

        return this;
    }

    /// <summary>Limits what a role sees of a category to the fields of <paramref name="mask"/>, or lifts the limit.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="category">The data category.</param>
    /// <param name="mask">The visible fields, or <see langword="null"/> to show every field.</param>
    /// <returns>This catalog.</returns>
    /// <exception cref="ArgumentException">The role or category is empty, or the category is the wildcard.</exception>
    public RoleCatalog SetFieldMask(string role, DataCategory category, FieldMask? mask)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        RequireConcrete(category);
        if (mask is null)
        {
            _masks.Remove((role, category));
        }
        else
        {
            _masks[(role, category)] = mask;
        }

        return this;
    }

    /// <summary>The traits of a defined role.</summary>
    /// <param name="role">The role's name.</param>
    /// <returns>The role's traits.</returns>
    /// <exception cref="ArgumentException">The role is empty or not defined.</exception>
    public RoleTraits GetTraits(string role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        return _roles.TryGetValue(role, out RoleTraits traits)
            ? traits
            : throw new ArgumentException($"Role '{role}' is not defined in the catalog.", nameof(role));
    }

    /// <summary>Whether the role may act for <paramref name="purpose"/> when taking <paramref name="action"/>.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="purpose">The purpose of use.</param>
    /// <param name="action">The action.</param>
    /// <returns><see langword="true"/> when the catalog allows it.</returns>
    public bool AllowsPurpose(string role, PurposeOfUse purpose, PhiAction action)
    {
        ArgumentNullException.ThrowIfNull(role);
        return _purposes.TryGetValue(role, out Dictionary<PurposeOfUse, int>? purposes)
            && purposes.TryGetValue(purpose, out int bits)
            && (bits & ActionBits.Of(action)) != 0;
    }

    /// <summary>
    /// Whether the matrix grants the role <paramref name="action"/> on <paramref name="category"/> when acting for
    /// <paramref name="purpose"/>. The engine's legal rules still apply on top of this.
    /// </summary>
    /// <param name="role">The role's name.</param>
    /// <param name="category">The data category.</param>
    /// <param name="action">The action.</param>
    /// <param name="purpose">The purpose of use.</param>
    /// <returns><see langword="true"/> when the matrix grants it.</returns>
    public bool IsGranted(string role, DataCategory category, PhiAction action, PurposeOfUse purpose)
    {
        ArgumentNullException.ThrowIfNull(role);
        return _grants.TryGetValue((role, category), out GrantCell? cell) && cell.Allows(ActionBits.Of(action), purpose);
    }

    /// <summary>The field mask of a role on a category, or <see langword="null"/> when the role sees every field.</summary>
    /// <param name="role">The role's name.</param>
    /// <param name="category">The data category.</param>
    /// <returns>The mask, or <see langword="null"/>.</returns>
    public FieldMask? GetFieldMask(string role, DataCategory category)
    {
        ArgumentNullException.ThrowIfNull(role);
        return _masks.GetValueOrDefault((role, category));
    }

    /// <summary>
    /// Lists every problem of the catalog: undefined roles and categories it refers to, grants the engine's rules would
    /// never honour, contradictory traits. Empty when the catalog is usable. <see cref="PolicyEngine(RoleCatalog)"/>
    /// refuses a catalog with problems.
    /// </summary>
    /// <returns>One full sentence per problem, in a stable order.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(PracticeOrganization))
        {
            problems.Add("PracticeOrganization is empty; set it to the organization id that marks a use inside the practice (default \"practice\").");
        }

        if (string.IsNullOrWhiteSpace(OversightRecipient))
        {
            problems.Add("OversightRecipient is empty; set it to the recipient id of HHS (default \"HHS\").");
        }

        if (_roles.Count > MaxRoles)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"The catalog defines {_roles.Count} roles; at most {MaxRoles} are supported."));
        }

        var undefinedRoles = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var undefinedCategories = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);

        foreach ((string role, Dictionary<PurposeOfUse, int> purposes) in _purposes)
        {
            if (purposes.Count > 0 && !_roles.ContainsKey(role))
            {
                NoteUse(undefinedRoles, role, "AllowPurpose");
            }
        }

        foreach (((string role, DataCategory category), GrantCell cell) in _grants.OrderBy(g => g.Key.Role, StringComparer.Ordinal).ThenBy(g => g.Key.Category.Name, StringComparer.Ordinal))
        {
            string where = $"a grant on {category}";
            if (!_roles.TryGetValue(role, out RoleTraits traits))
            {
                NoteUse(undefinedRoles, role, where);
            }

            if (!_categories.Contains(category))
            {
                NoteUse(undefinedCategories, category.Name, $"a grant to {role}");
            }

            int granted = cell.Always;
            foreach (int bits in cell.ByPurpose.Values)
            {
                granted |= bits;
            }

            if (category.IsSeparatelyKeptNote)
            {
                if ((granted & ~ActionBits.NoteAuthoring) != 0)
                {
                    problems.Add($"Role '{role}' is granted {ActionBits.Describe(granted & ~ActionBits.NoteAuthoring)} on {category}; on psychotherapy and SUD counseling notes only Read, Create and Update can be granted, and only to the note's author (rule notes.* governs everything else). Revoke those actions.");
                }

                if (_roles.ContainsKey(role) && (traits & RoleTraits.Clinical) == 0)
                {
                    problems.Add($"Role '{role}' is granted actions on {category} but is not a clinical role; only clinical roles can author psychotherapy and SUD counseling notes. Revoke the grant or give the role RoleTraits.Clinical.");
                }

                if ((traits & RoleTraits.ExcludedFromNotes) != 0)
                {
                    problems.Add($"Role '{role}' is excluded from separately kept notes (RoleTraits.ExcludedFromNotes) yet granted actions on {category}. Revoke the grant or remove the trait.");
                }
            }

            if ((traits & RoleTraits.Patient) != 0 && (granted & ~ActionBits.Of(PhiAction.Read)) != 0)
            {
                problems.Add($"Role '{role}' is a patient role but is granted {ActionBits.Describe(granted & ~ActionBits.Of(PhiAction.Read))} on {category}; patient access is read-only. Revoke those actions.");
            }

            foreach ((PurposeOfUse purpose, int bits) in cell.ByPurpose.OrderBy(p => p.Key.Code, StringComparer.Ordinal))
            {
                if (_roles.ContainsKey(role) && !AllowsPurposeForAny(role, purpose, bits))
                {
                    problems.Add($"Role '{role}' is granted {ActionBits.Describe(bits)} on {category} for purpose {purpose}, but the role may not act for {purpose} with those actions, so the grant can never apply. Allow the purpose or remove the grant.");
                }
            }
        }

        foreach (((string role, DataCategory category), FieldMask _) in _masks.OrderBy(m => m.Key.Role, StringComparer.Ordinal).ThenBy(m => m.Key.Category.Name, StringComparer.Ordinal))
        {
            if (!_roles.ContainsKey(role))
            {
                NoteUse(undefinedRoles, role, $"a field mask on {category}");
            }

            if (!_categories.Contains(category))
            {
                NoteUse(undefinedCategories, category.Name, $"a field mask of {role}");
            }

            int seeing = ActionBits.Of(PhiAction.Read) | ActionBits.Of(PhiAction.Disclose) | ActionBits.Of(PhiAction.Export);
            if (!_grants.TryGetValue((role, category), out GrantCell? cell) || (cell.AnyBits() & seeing) == 0)
            {
                problems.Add($"Role '{role}' has a field mask on {category} but may not read, disclose or export it, so the mask has no effect. Grant the access or remove the mask.");
            }
        }

        foreach ((string role, RoleTraits traits) in _roles.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if ((traits & RoleTraits.Patient) != 0 && (traits & (RoleTraits.Clinical | RoleTraits.RequiresCareTeam)) != 0)
            {
                problems.Add($"Role '{role}' combines RoleTraits.Patient with clinical traits; a patient role reaches only the patient's own record. Use separate roles.");
            }

            if ((traits & RoleTraits.TrainingSupervisor) != 0 && (traits & RoleTraits.Clinical) == 0)
            {
                problems.Add($"Role '{role}' has RoleTraits.TrainingSupervisor but not RoleTraits.Clinical; only a clinician supervises mental-health training (45 CFR 164.508(a)(2)(i)(B)). Add RoleTraits.Clinical or remove the trait.");
            }

            const RoleTraits noteExceptions = RoleTraits.TrainingSupervisor | RoleTraits.ComplianceOfficer;
            if ((traits & noteExceptions) != 0 && (traits & (RoleTraits.Patient | RoleTraits.ExcludedFromNotes)) != 0)
            {
                problems.Add($"Role '{role}' combines RoleTraits.{((traits & RoleTraits.TrainingSupervisor) != 0 ? "TrainingSupervisor" : "ComplianceOfficer")} with RoleTraits.{((traits & RoleTraits.Patient) != 0 ? "Patient" : "ExcludedFromNotes")}, which never receives psychotherapy or SUD counseling notes. Use separate roles.");
            }

            bool hasGrants = _grants.Keys.Any(k => k.Role == role);
            bool hasPurposes = _purposes.TryGetValue(role, out Dictionary<PurposeOfUse, int>? purposes) && purposes.Count > 0;
            if (hasGrants && !hasPurposes)
            {
                problems.Add($"Role '{role}' has grants but no purpose of use, so it can never use them. Allow at least one purpose with AllowPurpose.");
            }
        }

        foreach ((string role, SortedSet<string> uses) in undefinedRoles)
        {
            problems.Add($"Role '{role}' is used by {string.Join(", ", uses)} but is not defined. Define it with DefineRole(\"{role}\", …) or correct the name.");
        }

        foreach ((string category, SortedSet<string> uses) in undefinedCategories)
        {
            problems.Add($"Category '{category}' is used by {string.Join(", ", uses)} but is not defined. Define it with DefineCategory(new DataCategory(\"{category}\")) or correct the name.");
        }

        return problems;
    }

    /// <summary>Takes an immutable snapshot of a valid catalog for the engine.</summary>
    internal CompiledCatalog Compile() =>
        new(
            PracticeOrganization,
            OversightRecipient,
            _roles,
            _categories,
            _purposes,
            _grants.ToDictionary(g => g.Key, g => (g.Value.Always, (IReadOnlyDictionary<PurposeOfUse, int>)g.Value.ByPurpose)),
            _masks);

    private static PhiAction[] ParseCell(string cell)
    {
        var actions = new List<PhiAction>(6);
        foreach (char letter in cell)
        {
            switch (letter)
            {
                case 'R':
                    actions.Add(PhiAction.Read);
                    break;
                case 'W':
                    actions.Add(PhiAction.Create);
                    actions.Add(PhiAction.Update);
                    break;
                case 'D':
                    actions.Add(PhiAction.Delete);
                    break;
                default:
                    actions.Add(PhiAction.Disclose);
                    actions.Add(PhiAction.Export);
                    break;
            }
        }

        return [.. actions];
    }

    private static void NoteUse(SortedDictionary<string, SortedSet<string>> map, string key, string use)
    {
        if (!map.TryGetValue(key, out SortedSet<string>? uses))
        {
            uses = new SortedSet<string>(StringComparer.Ordinal);
            map[key] = uses;
        }

        uses.Add(use);
    }

    private static void RequireConcrete(DataCategory category, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(category))] string? parameterName = null)
    {
        if (category.IsEmpty)
        {
            throw new ArgumentException("The data category is empty (default(DataCategory)); name a category.", parameterName);
        }

        if (category == DataCategory.All)
        {
            throw new ArgumentException("The wildcard category \"*\" belongs in consents only; grant each category explicitly.", parameterName);
        }
    }

    private static void RequirePurpose(PurposeOfUse purpose, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(purpose))] string? parameterName = null)
    {
        if (purpose.IsEmpty)
        {
            throw new ArgumentException("The purpose of use is empty (default(PurposeOfUse)); name an HL7 purpose-of-use code.", parameterName);
        }
    }

    private static int CheckGrantArguments(string role, DataCategory category, IEnumerable<PhiAction> actions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        RequireConcrete(category);
        ArgumentNullException.ThrowIfNull(actions);
        int bits = ActionBits.Of(actions, nameof(actions));
        return bits != 0 ? bits : throw new ArgumentException("Name at least one action.", nameof(actions));
    }

    private bool AllowsPurposeForAny(string role, PurposeOfUse purpose, int actionBits) =>
        _purposes.TryGetValue(role, out Dictionary<PurposeOfUse, int>? purposes)
        && purposes.TryGetValue(purpose, out int allowed)
        && (allowed & actionBits) != 0;

    private GrantCell Cell(string role, DataCategory category)
    {
        if (!_grants.TryGetValue((role, category), out GrantCell? cell))
        {
            cell = new GrantCell();
            _grants[(role, category)] = cell;
        }

        return cell;
    }

    /// <summary>The actions of one matrix cell: for every purpose, and per purpose.</summary>
    private sealed class GrantCell
    {
        public int Always { get; set; }

        public Dictionary<PurposeOfUse, int> ByPurpose { get; } = [];

        public bool Allows(int actionBit, PurposeOfUse purpose) =>
            (Always & actionBit) != 0 || (ByPurpose.TryGetValue(purpose, out int bits) && (bits & actionBit) != 0);

        public int AnyBits()
        {
            int bits = Always;
            foreach (int purposeBits in ByPurpose.Values)
            {
                bits |= purposeBits;
            }

            return bits;
        }
    }
}
