// Each report keeps which of its IPs its enrichment placed where (IN_JURISDICTION.ips, the IPs'
// identity keys), so a referral package shows the report's own lookup and its time, not the
// IP's latest lookup for another report (noninterference). Reports enriched before this
// migration get the IPs that lead to the jurisdiction today.
MATCH (r:Report)-[x:IN_JURISDICTION {basis: 'GEOLOCATION'}]->(j:Jurisdiction)
WHERE x.ips IS NULL
SET x.ips = COLLECT { MATCH (r)-[:MENTIONS]->(i:Identifier {kind: 'IP_ADDRESS'})-[:LOCATED_IN]->(j)
                      RETURN DISTINCT i.key };
