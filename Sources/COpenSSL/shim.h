#ifndef POINTCONNECT_COPENSSL_SHIM_H
#define POINTCONNECT_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

/* Macros and constants Swift cannot import, as static inline functions. */

static inline int pc_evp_pkey_ed25519(void) { return EVP_PKEY_ED25519; }
static inline int pc_nid_x9_62_prime256v1(void) { return NID_X9_62_prime256v1; }
static inline void pc_openssl_free(void *pointer) { OPENSSL_free(pointer); }
static inline long pc_bio_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }
static inline const char *pc_ossl_pkey_param_group_name(void) { return OSSL_PKEY_PARAM_GROUP_NAME; }
static inline const char *pc_ossl_pkey_param_pub_key(void) { return OSSL_PKEY_PARAM_PUB_KEY; }
static inline const char *pc_ossl_mac_param_digest(void) { return OSSL_MAC_PARAM_DIGEST; }

static inline int pc_evp_pkey_public_key_selection(void) { return EVP_PKEY_PUBLIC_KEY; }
static inline int pc_evp_pkey_keypair_selection(void) { return EVP_PKEY_KEYPAIR; }

#endif
