using System.Reflection;
using Hipaa.EfCore.Encryption;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore;

/// <summary>Finds the property of an entity type that holds the patient id (<see cref="PatientIdAttribute"/> or <c>IsPatientId()</c>).</summary>
internal static class PatientIdProperty
{
    public static IProperty? Find(IEntityType entityType)
    {
        foreach (var property in entityType.GetProperties())
        {
            if (property.FindAnnotation(EncryptionAnnotations.PatientId) is not null
                || property.PropertyInfo?.GetCustomAttribute<PatientIdAttribute>(inherit: true) is not null)
            {
                return property;
            }
        }

        return null;
    }
}
