using System.Runtime.CompilerServices;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Materialization;

/// <summary>
/// What happens to each entity of one type as a query materializes it, in this order: its encrypted properties are
/// decrypted (<see cref="FieldDecryption"/>), then the read is decided by policy, redacted and recorded in the audit
/// trail (<see cref="AuditedRead"/>). Tracking and no-tracking queries, Include and projections that need the entity
/// alike. The values it needs — key, patient id, author, ciphertexts — come from the same result row.
/// </summary>
internal sealed class EntityReadHook
{

    private readonly EncryptedEntityModel? _encryption;
    private readonly PhiEntityModel? _phi;
    private readonly int[] _keySlots;
    private readonly int _patientSlot;
    private readonly int _authorSlot;
    private readonly int[] _ciphertextSlots;

    private EntityReadHook(IEntityType entityType, EncryptedEntityModel? encryption, PhiEntityModel? phi)
    {
        EntityType = entityType;
        _encryption = encryption;
        _phi = phi;
        var inputs = new List<IProperty>();
        int Slot(IProperty property)
        {
            var index = inputs.IndexOf(property);
            if (index < 0)
            {
                inputs.Add(property);
                index = inputs.Count - 1;
            }

            return index;
        }

        _keySlots = [.. (entityType.FindPrimaryKey()?.Properties ?? []).Select(Slot)];
        _patientSlot = PatientIdProperty.Find(entityType) is { } patient ? Slot(patient) : -1;
        _authorSlot = phi is not null && HipaaAnnotations.AuthorProperty(entityType) is { } author ? Slot(author) : -1;
        _ciphertextSlots = encryption is null ? [] : [.. encryption.Properties.Select(p => Slot(p.Ciphertext))];
        Inputs = inputs;
    }

    public IEntityType EntityType { get; }

    /// <summary>The properties whose row values <see cref="OnMaterialized"/> receives, in order.</summary>
    public IReadOnlyList<IProperty> Inputs { get; }

    /// <summary>The hook of an entity type, or <see langword="null"/> when it has neither encrypted properties nor PHI.</summary>
    public static EntityReadHook? For(IEntityType entityType) => HipaaAnnotations.Hook(entityType);

    /// <summary>Builds the hook of <paramref name="type"/> (kept as a runtime annotation, <see cref="HipaaAnnotations"/>).</summary>
    internal static EntityReadHook? Create(IEntityType type)
    {
        var encryption = HipaaAnnotations.EncryptionModel(type);
        var phi = HipaaAnnotations.PhiModel(type);
        return encryption is null && phi is null ? null : new EntityReadHook(type, encryption, phi);
    }

    /// <summary>Called by the compiled materializer for each entity, after its properties are set and before EF tracks or returns it.</summary>
    public void OnMaterialized(object entity, MaterializationContext materialization, object?[] values, bool tracking)
    {
        var context = materialization.Context;
        var session = Reading.ReadSession.For(context);
        if (_encryption is not null && session.Encryption is { } encryption)
        {
            // The key and patient values themselves: format version 2 binds them in binary, with no text formatting.
            FieldDecryption.Decrypt(encryption, _encryption, entity, Row(values), _patientSlot < 0 ? null : values[_patientSlot], values, _ciphertextSlots, tracking);
        }

        if (_phi is not null && session.Audit is { } audit)
        {
            var patientId = _patientSlot < 0 ? null : EncryptedEntityModel.FormatValue(values[_patientSlot]);
            var authorId = _authorSlot < 0 ? null : EncryptedEntityModel.FormatValue(values[_authorSlot]);
            AuditedRead.Record(audit, context, session, _phi, entity, patientId, authorId);
        }
    }

    private object? Row(object?[] values)
    {
        if (_keySlots.Length == 1)
        {
            return values[_keySlots[0]];
        }

        var keys = new object?[_keySlots.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = values[_keySlots[i]];
        }

        return keys;
    }
}
