//! Schemas of the Defender XDR tables that hunts use, written from Microsoft's published
//! table references. They type a loaded table of that name when no `--schema` is given.

use crate::schema::TableSchema;
use kql_types::KType;

/// (table, "Column:type,...")
const BUILTIN: &[(&str, &str)] = &[
    (
        "AlertEvidence",
        "Timestamp:datetime,AlertId:string,Title:string,Categories:string,AttackTechniques:string,\
ServiceSource:string,DetectionSource:string,EntityType:string,EvidenceRole:string,EvidenceDirection:string,\
FileName:string,FolderPath:string,SHA1:string,SHA256:string,FileSize:long,ThreatFamily:string,\
RemoteIP:string,RemoteUrl:string,AccountName:string,AccountDomain:string,AccountSid:string,\
AccountObjectId:string,AccountUpn:string,DeviceId:string,DeviceName:string,LocalIP:string,\
NetworkMessageId:string,EmailSubject:string,ApplicationId:long,Application:string,\
OAuthApplicationId:string,ProcessCommandLine:string,RegistryKey:string,RegistryValueName:string,\
RegistryValueData:string,AdditionalFields:string,Severity:string,CloudResource:string,\
CloudPlatform:string,ResourceType:string,ResourceID:string,SubscriptionId:string",
    ),
    (
        "AlertInfo",
        "Timestamp:datetime,AlertId:string,Title:string,Category:string,Severity:string,\
ServiceSource:string,DetectionSource:string,AttackTechniques:string",
    ),
    (
        "CloudAppEvents",
        "Timestamp:datetime,ActionType:string,Application:string,ApplicationId:int,\
AccountObjectId:string,AccountId:string,AccountDisplayName:string,IsAdminOperation:bool,\
DeviceType:string,OSPlatform:string,IPAddress:string,IsAnonymousProxy:bool,CountryCode:string,\
City:string,Isp:string,UserAgent:string,ActivityType:string,ActivityObjects:dynamic,\
ObjectName:string,ObjectType:string,ObjectId:string,ReportId:string,AccountType:string,\
IsExternalUser:bool,IsImpersonated:bool,IPTags:dynamic,IPCategory:string,UserAgentTags:dynamic,\
RawEventData:dynamic,AdditionalFields:dynamic,LastSeenForUser:dynamic,UncommonForUser:dynamic,\
AuditSource:string,SessionData:dynamic,OAuthAppId:string",
    ),
    (
        "EmailEvents",
        "Timestamp:datetime,NetworkMessageId:string,InternetMessageId:string,\
SenderMailFromAddress:string,SenderFromAddress:string,SenderDisplayName:string,\
SenderObjectId:string,SenderMailFromDomain:string,SenderFromDomain:string,SenderIPv4:string,\
SenderIPv6:string,RecipientEmailAddress:string,RecipientObjectId:string,Subject:string,\
EmailClusterId:long,EmailDirection:string,DeliveryAction:string,DeliveryLocation:string,\
ThreatTypes:string,ThreatNames:string,DetectionMethods:string,ConfidenceLevel:string,\
BulkComplaintLevel:int,EmailAction:string,EmailActionPolicy:string,EmailActionPolicyGuid:string,\
AuthenticationDetails:string,AttachmentCount:int,UrlCount:int,EmailLanguage:string,\
Connectors:string,OrgLevelAction:string,OrgLevelPolicy:string,UserLevelAction:string,\
UserLevelPolicy:string,ReportId:string,AdditionalFields:string,LatestDeliveryLocation:string,\
LatestDeliveryAction:string",
    ),
    (
        "EmailPostDeliveryEvents",
        "Timestamp:datetime,ReportId:string,NetworkMessageId:string,InternetMessageId:string,\
Action:string,ActionType:string,ActionTrigger:string,ActionResult:string,\
RecipientEmailAddress:string,DeliveryLocation:string,ThreatTypes:string,DetectionMethods:string",
    ),
    (
        "EmailUrlInfo",
        "Timestamp:datetime,NetworkMessageId:string,Url:string,UrlDomain:string,UrlLocation:string,\
ReportId:string",
    ),
    (
        "IdentityInfo",
        "Timestamp:datetime,ReportId:string,AccountObjectId:string,AccountUpn:string,OnPremSid:string,\
AccountDisplayName:string,AccountName:string,AccountDomain:string,Type:string,\
DistinguishedName:string,CloudSid:string,GivenName:string,Surname:string,Department:string,\
JobTitle:string,EmailAddress:string,SipProxyAddress:string,Address:string,City:string,\
Country:string,IsAccountEnabled:bool,Manager:string,Phone:string,CreatedDateTime:datetime,\
SourceProvider:string,ChangeSource:string,BlastRadius:string,CompanyName:string,\
DeletedDateTime:datetime,EmployeeId:string,OtherMailAddresses:dynamic,RiskLevel:string,\
RiskLevelDetails:string,State:string,Tags:dynamic,AssignedRoles:dynamic,\
PrivilegedEntraPimRoles:dynamic,TenantMembershipType:string,SourceProviders:dynamic,\
OnPremObjectId:string,TenantId:string",
    ),
    (
        "IdentityLogonEvents",
        "Timestamp:datetime,ActionType:string,Application:string,LogonType:string,Protocol:string,\
FailureReason:string,AccountName:string,AccountDomain:string,AccountUpn:string,AccountSid:string,\
AccountObjectId:string,AccountDisplayName:string,DeviceName:string,DeviceType:string,\
OSPlatform:string,IPAddress:string,Port:int,DestinationDeviceName:string,\
DestinationIPAddress:string,DestinationPort:int,TargetDeviceName:string,\
TargetAccountDisplayName:string,Location:string,Isp:string,ReportId:string,\
AdditionalFields:dynamic",
    ),
    (
        "UrlClickEvents",
        "Timestamp:datetime,Url:string,ActionType:string,AccountUpn:string,Workload:string,\
NetworkMessageId:string,ThreatTypes:string,DetectionMethods:string,IPAddress:string,\
IsClickedThrough:bool,UrlChain:string,ReportId:string",
    ),
];

/// The built-in schema of `table`, if there is one.
pub fn builtin_schema(table: &str) -> Option<TableSchema> {
    let (_, spec) = BUILTIN.iter().find(|(n, _)| *n == table)?;
    let columns = spec
        .split(',')
        .filter_map(|c| {
            let (name, ty) = c.split_once(':')?;
            Some((name.to_string(), KType::from_name(ty)?))
        })
        .collect();
    Some(TableSchema {
        name: table.to_string(),
        columns,
    })
}

pub fn builtin_table_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_completely() {
        for (name, spec) in BUILTIN {
            let s = builtin_schema(name).unwrap();
            assert_eq!(s.columns.len(), spec.split(',').count(), "{name}");
            assert_eq!(s.columns[0], ("Timestamp".to_string(), KType::Datetime));
        }
    }
}
