using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Decrypts each encrypted property as EF Core materializes an entity — tracking and no-tracking queries, Include and
/// projections that need the entity alike — using the row's key and patient id from the same result row. A value that
/// fails authentication fails the query; plaintext is never guessed.
/// </summary>
internal sealed class FieldDecryptionInterceptor : IMaterializationInterceptor
{
    public static FieldDecryptionInterceptor Instance { get; } = new();

    public object InitializedInstance(MaterializationInterceptionData materializationData, object entity)
    {
        if (HipaaContext.Encryption(materializationData.Context) is not { } runtime || runtime.GetModel(materializationData.EntityType) is not { } model)
        {
            return entity;
        }

        var keys = model.KeyProperties;
        string row;
        if (keys.Count == 1)
        {
            row = EncryptedEntityModel.FormatValue(materializationData.GetPropertyValue(keys[0]));
        }
        else
        {
            var values = new object?[keys.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = materializationData.GetPropertyValue(keys[i]);
            }

            row = EncryptedEntityModel.FormatRow(values);
        }

        var patientId = model.PatientId is null ? string.Empty : EncryptedEntityModel.FormatValue(materializationData.GetPropertyValue(model.PatientId));
        var tracking = materializationData.QueryTrackingBehavior == QueryTrackingBehavior.TrackAll;
        var snapshot = tracking ? new object?[model.Properties.Count] : null;
        for (var i = 0; i < model.Properties.Count; i++)
        {
            var property = model.Properties[i];
            var stored = materializationData.GetPropertyValue<byte[]?>(property.Ciphertext);
            var value = stored is null ? null : runtime.Decrypt(model, property, stored, row, patientId);
            property.SetValue(entity, value);
            if (snapshot is not null)
            {
                snapshot[i] = EncryptionSnapshots.Copy(value);
            }
        }

        if (snapshot is not null)
        {
            runtime.Snapshots.Set(entity, snapshot);
        }

        return entity;
    }
}
